using System.Diagnostics;
using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Files;
using V2Meow.Loaders.Safetensors;
using V2Meow.Loaders.Video;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Generation;
using V2Meow.Runtime.Scoring;

namespace V2Meow.Runtime.Batch;

/// <summary>
/// Runs a manifest: every item of this process's shard that is not already complete, each model loaded
/// once, the next item's video decoding and feature extraction running while the current item holds the
/// device, each item's results line written as it finishes.
/// </summary>
/// <remarks>
/// <para>Failures. An item that cannot be run (a bad line, an unreadable video, an unknown prompt word, an
/// output that cannot be written) gets a "failed" line with its one-line error, and the batch goes on.</para>
/// <para>Resuming. Outputs are written under a temporary name and renamed when complete, and the results
/// line follows the rename, so at any moment an output is either whole or absent. An item is complete when
/// the results file (this shard's, or another shard's of the same manifest) has an "ok" line for its
/// output and every file that line lists exists; a re-run skips those (scoring them first when the run
/// scores and the line has no scores) and runs the rest, failed items included. Temporary files a killed
/// run left beside the outputs of the items to run are deleted first.</para>
/// <para>Cancelling stops the items in flight, deletes what they had written, and throws
/// <see cref="OperationCanceledException"/>; nothing is half written and the results file lists only
/// complete items.</para>
/// </remarks>
public static class BatchRunner
{
    /// <summary>Runs <paramref name="manifest"/> as <paramref name="options"/> say; see the class remarks.</summary>
    public static async Task<BatchSummary> RunAsync(Manifest manifest, BatchOptions? options = null,
        IProgress<BatchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        options ??= new BatchOptions();
        options.Validate();
        string resultsPath = options.ResultsPath ?? ResultsJournal.DefaultPath(manifest, options.Shard);
        using var journal = ResultsJournal.Open(resultsPath);
        var run = new Run(manifest, options, journal, progress);
        return await run.ExecuteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The output name a temporary file stands for (".a.wav.0123…ef.tmp" → "a.wav"), or null.</summary>
    internal static string? TemporaryOf(string name)
    {
        string? rest = name.EndsWith(".tmp", StringComparison.Ordinal) ? name[..^4]
            : name.EndsWith(".partial", StringComparison.Ordinal) ? name[..^8] : null;
        if (rest is null || rest.Length < 35 || rest[0] != '.' || rest[^33] != '.') return null;
        if (!rest[^32..].All(char.IsAsciiHexDigitLower)) return null;
        return rest[1..^33];
    }

    /// <summary>What one item still needs.</summary>
    enum Work { Done, Generate, ScoreOnly }

    sealed class Run(Manifest manifest, BatchOptions options, ResultsJournal journal, IProgress<BatchProgress>? progress)
    {
        readonly Lock _lock = new();
        readonly Stopwatch _clock = new();
        int _total, _completed, _failed, _skipped, _succeeded, _ran;

        public async Task<BatchSummary> ExecuteAsync(CancellationToken cancellationToken)
        {
            _clock.Start();
            var items = manifest.Items.Where(options.Shard.Contains).ToList();
            _total = items.Count;
            var done = CompletedOutputs();
            var toRun = new List<(BatchItem Item, Work Work, BatchResult? Previous)>();
            foreach (var item in items)
            {
                var (work, previous) = WorkFor(item, done);
                if (work == Work.Done)
                {
                    lock (_lock)
                    {
                        _skipped++;
                        _completed++;
                        Report(BatchEventKind.Skipped, item, previous);
                    }
                }
                else toRun.Add((item, work, previous));
            }
            RemoveTemporaries(toRun.Where(t => t.Work == Work.Generate && t.Item.Problem is null).Select(t => t.Item));

            using var models = new BatchModels(manifest, options, toRun.Where(t => t.Work == Work.Generate && t.Item.Problem is null).Select(t => t.Item));
            // Items in flight: those generating (one on the device, Prefetch loading their features) and one
            // more writing and scoring its outputs, so the device never waits for a write.
            using var generating = new SemaphoreSlim(options.Prefetch + 1);
            using var slots = new SemaphoreSlim(options.Prefetch + 2);
            var tasks = new List<Task>();
            try
            {
                foreach (var (item, work, previous) in toRun)
                {
                    await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                    if (tasks.Any(t => t.IsFaulted)) break; // the results file cannot be written: stop, the error follows
                    // Items take their turn to generate here, in manifest order; each gives it back once its
                    // generation is over (or at once when it has nothing to generate).
                    try { await generating.WaitAsync(cancellationToken).ConfigureAwait(false); }
                    catch (OperationCanceledException)
                    {
                        slots.Release();
                        throw;
                    }
                    var turn = new Turn(generating);
                    tasks.Add(Task.Run(async () =>
                    {
                        try { await RunItemAsync(item, work, previous, models, turn, cancellationToken).ConfigureAwait(false); }
                        finally
                        {
                            turn.Release();
                            slots.Release();
                        }
                    }, CancellationToken.None));
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
            try
            {
                await Task.WhenAll(tasks).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
            cancellationToken.ThrowIfCancellationRequested();
            return new BatchSummary(_total, _succeeded, _failed, _skipped, journal.Path, _clock.Elapsed);
        }

        /// <summary>Every "ok" line this manifest's results files hold, by full output path; this shard's own file last, so its lines win.</summary>
        Dictionary<string, BatchResult> CompletedOutputs()
        {
            var lines = new List<BatchResult>();
            if (options.ResultsPath is null)
            {
                // Other shards' files (a manifest run before with another shard count): their complete items count too.
                string stem = Path.GetFileNameWithoutExtension(manifest.Path) + ".results";
                foreach (string file in Directory.EnumerateFiles(manifest.Folder))
                {
                    string name = Path.GetFileName(file);
                    if (!name.StartsWith(stem, StringComparison.Ordinal) || !name.EndsWith(".jsonl", StringComparison.Ordinal)) continue;
                    if (Path.GetFullPath(file) == Path.GetFullPath(journal.Path)) continue;
                    try { lines.AddRange(ResultsJournal.Read(file)); }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
                }
            }
            lines.AddRange(journal.Existing);
            var completed = new Dictionary<string, BatchResult>(StringComparer.Ordinal);
            foreach (var line in lines)
            {
                string output = manifest.Resolve(line.Output);
                if (line.Status == BatchItemStatus.Ok) completed[output] = line;
                else completed.Remove(output);
            }
            return completed;
        }

        (Work, BatchResult?) WorkFor(BatchItem item, Dictionary<string, BatchResult> done)
        {
            if (item.Problem is not null || !done.TryGetValue(manifest.Resolve(item.Output), out var line)) return (Work.Generate, null);
            var outputs = manifest.OutputsOf(item);
            bool same = line.Outputs.Count == outputs.Count && line.Outputs.Select(manifest.Resolve).SequenceEqual(outputs);
            bool present = outputs.All(o => InputFile.KindOf(o) == FileKind.Regular && new FileInfo(o).Length > 0);
            if (!same || !present) return (Work.Generate, null);
            if (options.Score && (line.Scores is null || line.Scores.Count != outputs.Count)) return (Work.ScoreOnly, line);
            return (Work.Done, line);
        }

        /// <summary>
        /// Deletes what a killed run left beside the outputs it was writing: WavWriter's ".NAME.GUID.tmp" and
        /// the muxer's ".NAME.GUID.partial". Only names of that exact shape, only for outputs of items this run
        /// will write (each output belongs to one item, and the journal's lock keeps one process per shard).
        /// </summary>
        void RemoveTemporaries(IEnumerable<BatchItem> items)
        {
            var byFolder = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            foreach (var item in items)
                foreach (string output in manifest.OutputsOf(item))
                {
                    string folder = Path.GetDirectoryName(output)!;
                    if (!byFolder.TryGetValue(folder, out var names)) byFolder[folder] = names = new HashSet<string>(StringComparer.Ordinal);
                    names.Add(Path.GetFileName(output));
                }
            foreach (var (folder, names) in byFolder)
            {
                if (!Directory.Exists(folder)) continue;
                IEnumerable<string> files;
                try { files = Directory.EnumerateFiles(folder, ".*").ToList(); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
                foreach (string file in files)
                {
                    if (TemporaryOf(Path.GetFileName(file)) is { } name && names.Contains(name) && InputFile.KindOf(file) == FileKind.Regular)
                    {
                        try { File.Delete(file); }
                        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
                    }
                }
            }
        }

        async Task RunItemAsync(BatchItem item, Work work, BatchResult? previous, BatchModels models, Turn turn,
            CancellationToken cancellationToken)
        {
            if (work != Work.Generate || item.Problem is not null) turn.Release(); // nothing to generate: let the next item start
            var clock = Stopwatch.StartNew();
            lock (_lock) Report(BatchEventKind.Started, item, null);
            var written = new List<string>();
            BatchResult result;
            Exception? bug = null;
            try
            {
                result = work == Work.ScoreOnly
                    ? await ScoreOnlyAsync(item, previous!, cancellationToken).ConfigureAwait(false)
                    : await GenerateAsync(item, models, turn, written, clock, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Delete(written);
                throw;
            }
            catch (Exception e)
            {
                Delete(written);
                if (!IsExpected(e)) bug = e;
                result = Failed(item, clock.Elapsed.TotalSeconds, IsExpected(e) ? e.Message : $"internal error ({e.GetType().Name}): {e.Message}");
            }
            finally
            {
                if (work == Work.Generate) models.Release(item);
            }
            journal.Append(result);
            lock (_lock)
            {
                _completed++;
                _ran++;
                if (result.Status == BatchItemStatus.Ok) _succeeded++;
                else _failed++;
                Report(BatchEventKind.Finished, item, result, exception: bug);
            }
        }

        async Task<BatchResult> GenerateAsync(BatchItem item, BatchModels models, Turn turn, List<string> written,
            Stopwatch clock, CancellationToken cancellationToken)
        {
            if (item.Problem is { } problem) throw new BatchException(problem);
            string video = manifest.Resolve(item.Video);
            InputFile.Require(video, p => new MediaException(item.Video, p));
            string? style = item.StyleFile is null ? null : manifest.Resolve(item.StyleFile);
            var features = item.Features.ToDictionary(f => f.Key, f => manifest.Resolve(f.Value), StringComparer.Ordinal);
            string bundle = models.FolderOf(item);
            string?[] inputs = [video, style, .. features.Values, .. Directory.EnumerateFiles(bundle)];
            var outputs = manifest.OutputsOf(item);
            foreach (string output in outputs)
            {
                string folder = Path.GetDirectoryName(output)!;
                if (!Directory.Exists(folder))
                {
                    try { Directory.CreateDirectory(folder); }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        throw new MediaException(output, $"cannot create its folder ({e.Message})");
                    }
                }
                OutputFile.Check(output, inputs);
            }

            var pipeline = await models.AcquireAsync(item).ConfigureAwait(false);
            using var motionCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            // The video's motion (for the scores) needs only the video: measure it while the item generates.
            var motion = options.Score ? VideoMotion.AnalyseAsync(video, options.MaxDurationSeconds, motionCancel.Token) : null;
            try
            {
                var input = new VideoInput
                {
                    VideoPath = video, FeatureFiles = features, StyleEmbeddingFile = style, Prompt = item.Prompt,
                    MaxDurationSeconds = options.MaxDurationSeconds,
                };
                var generation = options.Generation with { Seed = item.Seed ?? options.Generation.Seed, Candidates = item.Candidates };
                GenerationResult music;
                try
                {
                    music = await pipeline.GenerateAsync(input, generation, new ItemProgress(this, item), cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    turn.Release(); // the next item may start decoding while this one writes and scores
                }
                for (int c = 0; c < outputs.Count; c++)
                {
                    written.Add(outputs[c]);
                    await MusicWriter.WriteAsync(music, c, outputs[c], video, cancellationToken).ConfigureAwait(false);
                }
                var scores = motion is null ? null : await ScoreAsync(await motion.ConfigureAwait(false), outputs, cancellationToken).ConfigureAwait(false);
                return Ok(item, clock.Elapsed.TotalSeconds, scores);
            }
            finally
            {
                if (motion is not null && !motion.IsCompleted)
                {
                    await motionCancel.CancelAsync().ConfigureAwait(false);
                    try { await motion.ConfigureAwait(false); }
                    catch (Exception) { } // the item failed or was cancelled already; this is only the scores' half
                }
            }
        }

        async Task<BatchResult> ScoreOnlyAsync(BatchItem item, BatchResult previous, CancellationToken cancellationToken)
        {
            var motion = await VideoMotion.AnalyseAsync(manifest.Resolve(item.Video), options.MaxDurationSeconds, cancellationToken).ConfigureAwait(false);
            var scores = await ScoreAsync(motion, manifest.OutputsOf(item), cancellationToken).ConfigureAwait(false);
            return Ok(item, previous.Seconds, scores);
        }

        static async Task<IReadOnlyList<MusicScores>> ScoreAsync(VideoMotion motion, IReadOnlyList<string> outputs, CancellationToken cancellationToken)
        {
            var scores = new List<MusicScores>(outputs.Count);
            foreach (string output in outputs)
                scores.Add(await MusicScorer.ScoreAsync(motion, output, cancellationToken).ConfigureAwait(false));
            return scores;
        }

        BatchResult Ok(BatchItem item, double seconds, IReadOnlyList<MusicScores>? scores) => new()
        {
            Item = item.Line, Id = item.Id, Status = BatchItemStatus.Ok, Video = item.Video, Output = item.Output,
            Outputs = Enumerable.Range(0, item.Candidates).Select(c => MusicWriter.PathFor(item.Output, c, item.Candidates)).ToList(),
            Seconds = seconds, Scores = scores,
        };

        static BatchResult Failed(BatchItem item, double seconds, string error) => new()
        {
            Item = item.Line, Id = item.Id, Status = BatchItemStatus.Failed, Video = item.Video, Output = item.Output,
            Outputs = [], Seconds = seconds, Error = error.ReplaceLineEndings(" ").Trim(),
        };

        static void Delete(List<string> files)
        {
            foreach (string file in files)
            {
                try
                {
                    // Never through a link: the output checks refuse links, but the file may have changed since.
                    if (new FileInfo(file).LinkTarget is null && InputFile.KindOf(file) == FileKind.Regular) File.Delete(file);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
        }

        /// <summary>Bad input, a missing file, a device that cannot run it: the item's failure, not a bug.</summary>
        static bool IsExpected(Exception e) => e is BatchException or MediaException or BundleException or SafetensorsFormatException
            or DeviceException or ArgumentException or IOException or UnauthorizedAccessException or InvalidDataException
            or OperationCanceledException or OutOfMemoryException;

        /// <summary>Reports under <see cref="_lock"/>, so counts and events arrive in one order.</summary>
        void Report(BatchEventKind kind, BatchItem item, BatchResult? result, GenerationProgress? generation = null, Exception? exception = null)
        {
            if (progress is null) return;
            TimeSpan? remaining = _ran == 0 ? null : _clock.Elapsed / _ran * (_total - _completed);
            progress.Report(new BatchProgress
            {
                Kind = kind, Item = item, Result = result, Generation = generation, Exception = exception,
                Total = _total, Completed = _completed, Failed = _failed, Skipped = _skipped,
                Elapsed = _clock.Elapsed, Remaining = remaining,
            });
        }

        /// <summary>An item's turn to generate: given back once, whichever comes first (its generation ends, or the item does).</summary>
        sealed class Turn(SemaphoreSlim generating)
        {
            int _released;

            public void Release()
            {
                if (Interlocked.Exchange(ref _released, 1) == 0) generating.Release();
            }
        }

        /// <summary>An item's generation progress, passed on synchronously as batch progress.</summary>
        sealed class ItemProgress(Run run, BatchItem item) : IProgress<GenerationProgress>
        {
            public void Report(GenerationProgress value)
            {
                lock (run._lock) run.Report(BatchEventKind.Generating, item, null, value);
            }
        }
    }
}
