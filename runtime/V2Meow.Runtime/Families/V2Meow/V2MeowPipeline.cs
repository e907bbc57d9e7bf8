using System.Diagnostics;
using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Codecs;
using V2Meow.Runtime.Generation;

namespace V2Meow.Runtime.Families.V2Meow;

/// <summary>
/// Video in, music out. Load a bundle once onto a device, then generate as often as you like: features →
/// stage 1 → stage 2 → stage 3 → codec, each over sliding windows so the music lasts exactly as long as
/// the video. Safe to call from several threads: generations queue for the device one at a time, and the
/// same seed gives the same audio whatever else runs.
/// </summary>
public sealed class V2MeowPipeline : IMusicPipeline
{
    /// <summary>Stage 1 and 2 windows overlap by this fraction; each continues from the tokens of the one before.</summary>
    const double Overlap = 0.5;
    /// <summary>Codec chunk: bounds decoder memory for long videos.</summary>
    const double CodecChunkSeconds = 10;

    readonly Bundle _bundle;
    readonly IComputeBackend _backend;
    readonly VideoToSemanticStage _stage1;
    readonly SemanticToCoarseStage _stage2;
    readonly CoarseToFineStage _stage3;
    readonly ICodecDecoder _codec;
    readonly SemaphoreSlim _device = new(1, 1);
    bool _disposed;

    /// <inheritdoc/>
    public ModelFamily Family { get; }
    /// <inheritdoc/>
    public string ModelName => Config.Name;
    /// <summary>The bundle's config.json, defaults filled in.</summary>
    public BundleConfig Config => _bundle.Config;
    /// <inheritdoc/>
    public string BundleFolder => _bundle.Folder;
    /// <inheritdoc/>
    public DeviceInfo Device => _backend.Device;
    /// <inheritdoc/>
    public int SampleRate => Config.Rates.SampleRate;
    /// <summary>The bundle's text tower, or null: prompts need one.</summary>
    public TextTower? TextTower { get; }

    internal V2MeowPipeline(ModelFamily family, Bundle bundle, IComputeBackend backend)
    {
        Family = family;
        _bundle = bundle;
        _backend = backend;
        var owned = new List<IDisposable>();
        try
        {
            _stage1 = Own(VideoToSemanticStage.Load(bundle, backend));
            _stage2 = Own(SemanticToCoarseStage.Load(bundle, backend));
            _stage3 = Own(CoarseToFineStage.Load(bundle, backend));
            _codec = Own(CodecDecoders.Load(bundle, backend));
            TextTower = TextTower.Load(bundle.Folder, bundle.Config);
        }
        catch
        {
            foreach (var d in owned) d.Dispose();
            throw;
        }

        T Own<T>(T item) where T : IDisposable
        {
            owned.Add(item);
            return item;
        }
    }

    /// <summary>
    /// Opens <paramref name="bundleFolder"/> (validating every tensor) and loads it onto <paramref name="device"/>.
    /// Apps open bundles through <see cref="MusicModel.Load"/>, which picks the family; this is the v2meow/1 path.
    /// </summary>
    internal static V2MeowPipeline Load(string bundleFolder, DeviceKind device = DeviceKind.Auto)
    {
        var backend = DeviceCatalog.Open(device);
        try
        {
            return Load(V2MeowFamily.Instance, bundleFolder, backend);
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    /// <summary>Opens the bundle onto <paramref name="backend"/>, which the pipeline owns once loaded; on failure the caller still owns it.</summary>
    internal static V2MeowPipeline Load(ModelFamily family, string bundleFolder, IComputeBackend backend)
    {
        var bundle = Bundle.Open(bundleFolder);
        try
        {
            return new V2MeowPipeline(family, bundle, backend);
        }
        catch
        {
            bundle.Dispose();
            throw;
        }
    }

    /// <summary>Loads the bundle embedded in this library (see <see cref="DefaultModel"/>).</summary>
    internal static V2MeowPipeline LoadDefault(DeviceKind device = DeviceKind.Auto) => Load(DefaultModel.EnsureUnpacked(), device);

    /// <summary>Music for <paramref name="input"/>: one waveform per candidate, as long as the video.</summary>
    public async Task<GenerationResult> GenerateAsync(VideoInput input, GenerationOptions? options = null,
        IProgress<GenerationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        options ??= new GenerationOptions();
        options.Validate();
        if (options.Guidance is not null)
            throw new ArgumentException("V2Meow has no classifier-free guidance (no null condition was trained); leave guidance unset");
        if (options.Temperature is not null)
            throw new ArgumentException("V2Meow samples three stages; give their temperatures per stage, not one temperature");
        if (input.Prompt is { } prompt)
        {
            if (TextTower is null)
                throw new ArgumentException($"a prompt needs a bundle with a text tower; {BundleFolder} has none (pass a style embedding instead)");
            if (input.StyleEmbedding is not null || input.StyleEmbeddingFile is not null)
                throw new ArgumentException("give a prompt or a style embedding, not both");
            input = input with { StyleEmbedding = TextTower.Embed(prompt), Prompt = null };
        }

        var clock = Stopwatch.StartNew();
        var features = await VideoFeatures.LoadAsync(input, Config, cancellationToken).ConfigureAwait(false);
        MemoryEstimate.Check(Config, features.DurationSeconds, options.Candidates, MemoryEstimate.AvailableBytes);
        var timings = new List<StageTiming> { new(PipelineStage.Features, clock.Elapsed, features.Frames, "frames") };
        progress?.Report(new GenerationProgress(PipelineStage.Features, 1, 1, features.Frames, features.Frames));

        await _device.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The token work is synchronous device work; run it off the caller's thread so UIs stay live.
            return await Task.Run(() => Generate(features, options, progress, timings, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _device.Release();
        }
    }

    GenerationResult Generate(VideoFeatures features, GenerationOptions options, IProgress<GenerationProgress>? progress,
        List<StageTiming> timings, CancellationToken cancellationToken)
    {
        var rates = Config.Rates;
        double duration = features.DurationSeconds;
        int semanticCount = Math.Max(1, (int)Math.Ceiling(duration * rates.SemanticHz - 1e-6));
        int acousticFrames = Math.Max(1, (int)Math.Ceiling(duration * rates.AcousticHz - 1e-6));
        // Interleaved, every r frames need their semantic token; the two roundings above may disagree at a boundary.
        if (_stage2.IsInterleaved) semanticCount = Math.Max(semanticCount, (acousticFrames + _stage2.FramesPerGroup - 1) / _stage2.FramesPerGroup);
        int samples = Math.Max(1, (int)Math.Round(duration * rates.SampleRate));

        var semantic = Timed(timings, PipelineStage.Semantic, () => GenerateSemantic(features, semanticCount, options, progress, cancellationToken),
            r => (long)r.Length * r[0].Length);
        var coarse = Timed(timings, PipelineStage.Coarse, () => GenerateCoarse(features, semantic, acousticFrames, options, progress, cancellationToken),
            r => (long)r.Length * r[0].Codes.Length);
        var fine = Timed(timings, PipelineStage.Fine, () => GenerateFine(coarse, options, progress, cancellationToken),
            r => (long)r.Length * r[0].Codes.Length);

        var clock = Stopwatch.StartNew();
        var waveforms = new List<float[]>();
        int chunk = (int)Math.Round(CodecChunkSeconds * rates.AcousticHz);
        for (int b = 0; b < options.Candidates; b++)
        {
            var codes = Stack(coarse[b], fine[b]);
            float[] audio = ChunkedCodec.Decode(_codec, codes.Codes, codes.Levels, chunk, cancellationToken);
            // Exactly the video's length: the last codec frame is cut to the sample.
            waveforms.Add(audio.Length == samples ? audio : audio.AsSpan(0, Math.Min(samples, audio.Length)).ToArray());
            progress?.Report(new GenerationProgress(PipelineStage.Codec, b + 1, options.Candidates, b + 1, options.Candidates));
        }
        timings.Add(new StageTiming(PipelineStage.Codec, clock.Elapsed, (long)samples * options.Candidates, "samples"));
        return new GenerationResult(waveforms, rates.SampleRate, duration, semantic, timings);
    }

    static T Timed<T>(List<StageTiming> timings, PipelineStage stage, Func<T> work, Func<T, long> tokens)
    {
        var clock = Stopwatch.StartNew();
        var result = work();
        timings.Add(new StageTiming(stage, clock.Elapsed, tokens(result)));
        return result;
    }

    StageSampling Sampling(GenerationOptions options, double? temperature) =>
        new(temperature, options.TopK ?? 0, options.Seed, options.Candidates);

    /// <summary>Stage 1 over windows of stage1_seconds; windows after the first are prompted with the overlap.</summary>
    int[][] GenerateSemantic(VideoFeatures features, int count, GenerationOptions options, IProgress<GenerationProgress>? progress,
        CancellationToken cancellationToken)
    {
        int width = WindowGeometry.Stage1Tokens(Config);
        var windows = WindowPlan.Cover(count, width, (int)(width * Overlap));
        var tokens = Enumerable.Range(0, options.Candidates).Select(_ => new List<int>(count)).ToArray();
        var sampling = Sampling(options, options.Stage1Temperature);
        foreach (var w in windows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var input = features.Window(Config.Stage1, w.Start / Config.Rates.SemanticHz, w.End / Config.Rates.SemanticHz);
            var carried = tokens.Select(t => t.GetRange(w.Start, w.Carried).ToArray()).ToList();
            var fresh = _stage1.Continue(input, carried, w.New, sampling, firstToken: w.Start + w.Carried);
            for (int b = 0; b < tokens.Length; b++) tokens[b].AddRange(fresh[b]);
            progress?.Report(new GenerationProgress(PipelineStage.Semantic, w.Index + 1, windows.Count, w.End, count));
        }
        return tokens.Select(t => t.ToArray()).ToArray();
    }

    /// <summary>
    /// Stage 2 over windows of stage2_seconds of acoustic frames, each with the semantic tokens of its span.
    /// Interleaved, windows are whole groups of r frames (one semantic token each), and the last group's
    /// frames past the video's end are dropped.
    /// </summary>
    AcousticCodes[] GenerateCoarse(VideoFeatures features, int[][] semantic, int frames, GenerationOptions options,
        IProgress<GenerationProgress>? progress, CancellationToken cancellationToken)
    {
        var rates = Config.Rates;
        int r = _stage2.FramesPerGroup;
        int units = (frames + r - 1) / r;
        if (_stage2.IsInterleaved && units > semantic[0].Length)
            throw new InvalidOperationException($"stage2: {frames} frames need {units} semantic tokens, stage 1 gave {semantic[0].Length}");
        int width = Math.Max(1, WindowGeometry.Stage2Frames(Config) / r);
        var windows = WindowPlan.Cover(units, width, (int)(width * Overlap));
        var parts = new List<AcousticCodes>[options.Candidates];
        for (int b = 0; b < parts.Length; b++) parts[b] = [];
        var done = new AcousticCodes?[options.Candidates];
        var sampling = Sampling(options, options.Stage2Temperature);
        double semanticPerFrame = rates.SemanticHz / rates.AcousticHz;
        foreach (var w in windows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int start = w.Start * r, end = w.End * r, carriedFrames = w.Carried * r;
            int s0 = _stage2.IsInterleaved ? w.Start : (int)Math.Floor(start * semanticPerFrame + 1e-9);
            int s1 = _stage2.IsInterleaved ? w.End : Math.Min(semantic[0].Length, Math.Max(s0 + 1, (int)Math.Ceiling(end * semanticPerFrame - 1e-9)));
            var prompts = semantic.Select(s => s[s0..s1]).ToList();
            var carried = done.Select(d => d is null || carriedFrames == 0 ? new AcousticCodes(Config.Tokens.CoarseLevels, 0, []) : d.Slice(start, carriedFrames)).ToList();
            var input = _stage2.HasEncoder ? features.Window(Config.Stage2, start / rates.AcousticHz, end / rates.AcousticHz) : null;
            var fresh = _stage2.Continue(prompts, carried, end - start - carriedFrames, input, sampling, firstFrame: start + carriedFrames);
            for (int b = 0; b < parts.Length; b++)
            {
                parts[b].Add(fresh[b]);
                done[b] = AcousticCodes.Concatenate(parts[b]);
            }
            progress?.Report(new GenerationProgress(PipelineStage.Coarse, w.Index + 1, windows.Count, Math.Min(end, frames), frames));
        }
        return done.Select(d => d!.Frames == frames ? d : d.Slice(0, frames)).ToArray();
    }

    AcousticCodes[] GenerateFine(AcousticCodes[] coarse, GenerationOptions options, IProgress<GenerationProgress>? progress,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var fine = _stage3.Generate(coarse, Sampling(options, options.Stage3Temperature));
        progress?.Report(new GenerationProgress(PipelineStage.Fine, 1, 1, coarse[0].Frames, coarse[0].Frames));
        return fine;
    }

    /// <summary>Coarse levels then fine levels: the codec's [Q, frames] (SPEC §7.4).</summary>
    static AcousticCodes Stack(AcousticCodes coarse, AcousticCodes fine)
    {
        var codes = new int[coarse.Codes.Length + fine.Codes.Length];
        coarse.Codes.CopyTo(codes, 0);
        fine.Codes.CopyTo(codes, coarse.Codes.Length);
        return new AcousticCodes(coarse.Levels + fine.Levels, coarse.Frames, codes);
    }

    /// <summary>Waits for a running generation, then frees the codec, the stages, the backend and the bundle.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _device.Wait(); // never free weights under a running generation
        _disposed = true;
        _codec.Dispose();
        _stage3.Dispose();
        _stage2.Dispose();
        _stage1.Dispose();
        _backend.Dispose();
        _bundle.Dispose();
        _device.Release();
        _device.Dispose();
    }
}
