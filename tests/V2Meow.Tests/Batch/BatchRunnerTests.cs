using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Batch;

namespace V2Meow.Tests.Batch;

/// <summary>The batch engine in-process, as a .NET app uses it: hostile lines, resuming, scoring later, cancelling.</summary>
public class BatchRunnerTests
{
    static BatchOptions Options(bool score = false) => new() { Device = DeviceKind.Cpu, Model = BatchFolder.Bundle, Score = score };

    [Fact]
    public async Task HostileLinesAreEachReportedAndTheRestFinish()
    {
        using var folder = await BatchFolder.CreateAsync();
        Directory.CreateDirectory(folder.File("out/a-directory.wav"));
        File.WriteAllText(folder.File("in/notes.mp4"), "not a video\n");
        folder.WriteManifest(3,
            """{"video": "in/clip.mp4"}""",                                          // line 4: no output
            BatchFolder.Item("out/a-directory.wav", 1),                             // line 5: a directory as output
            BatchFolder.Item("out/item-00.wav", 2),                                 // line 6: line 1's output again
            BatchFolder.Item("out/notes.wav", 3).Replace("in/clip.mp4", "in/notes.mp4"), // line 7: not a video
            BatchFolder.Item("out/unknown-model.wav", 4, "\"model\": \"no-such-model\""),  // line 8
            BatchFolder.Item("out/bad-word.wav", 5, "\"prompt\": \"zzz\""),          // line 9: the tiny bundle has no text tower
            "{\"video\": \"in/clip.mp4\", \"output\": \"out/x.wav\", \"seed\": \"many\"}"); // line 10
        var events = new List<BatchProgress>();
        var summary = await BatchRunner.RunAsync(Manifest.Read(folder.Manifest), Options(), new SyncProgress(events.Add));

        Assert.Equal((10, 3, 7, 0), (summary.Total, summary.Succeeded, summary.Failed, summary.Skipped));
        var results = folder.AllResults().ToDictionary(r => r.Item);
        Assert.Equal(10, results.Count);
        foreach (int line in new[] { 1, 2, 3 })
        {
            Assert.Equal(BatchItemStatus.Ok, results[line].Status);
            Assert.True(BatchFolder.IsWholeWav(folder.File($"out/item-{line - 1:00}.wav")));
        }
        Assert.Contains("missing field 'output'", results[4].Error);
        Assert.Contains("is a directory", results[5].Error);
        Assert.Contains("is also written by line 1", results[6].Error);
        Assert.Contains("not a video file", results[7].Error);
        Assert.Contains("model 'no-such-model'", results[8].Error);
        Assert.Contains("text tower", results[9].Error);
        Assert.Contains("'seed': 'many'", results[10].Error);
        Assert.All(results.Values.Where(r => r.Status == BatchItemStatus.Failed), r => Assert.DoesNotContain('\n', r.Error!));
        Assert.False(File.Exists(folder.File("out/notes.wav")));
        Assert.Empty(folder.Temporaries());
        Assert.Equal(10, events.Count(e => e.Kind == BatchEventKind.Finished));
        Assert.Null(events.Single(e => e.Kind == BatchEventKind.Finished && e.Item.Line == 7).Exception); // bad input, not a bug
    }

    [Fact]
    public async Task ARerunSkipsWhatIsCompleteAndRunsTheRest()
    {
        using var folder = await BatchFolder.CreateAsync();
        folder.WriteManifest(4);
        await BatchRunner.RunAsync(Manifest.Read(folder.Manifest), Options());
        File.Delete(folder.File("out/item-02.wav"));
        var before = File.GetLastWriteTimeUtc(folder.File("out/item-00.wav"));

        var summary = await BatchRunner.RunAsync(Manifest.Read(folder.Manifest), Options());
        Assert.Equal((4, 1, 0, 3), (summary.Total, summary.Succeeded, summary.Failed, summary.Skipped));
        Assert.Equal(before, File.GetLastWriteTimeUtc(folder.File("out/item-00.wav")));
        Assert.True(BatchFolder.IsWholeWav(folder.File("out/item-02.wav")));
        Assert.Equal(5, folder.AllResults().Count); // one more line: item 3's second
    }

    [Fact]
    public async Task ScoringLaterScoresWhatIsThereWithoutGeneratingAgain()
    {
        using var folder = await BatchFolder.CreateAsync();
        folder.WriteManifest(2, BatchFolder.Item("out/pair.wav", 9, "\"candidates\": 2"));
        await BatchRunner.RunAsync(Manifest.Read(folder.Manifest), Options());
        var written = File.GetLastWriteTimeUtc(folder.File("out/pair.1.wav"));

        var summary = await BatchRunner.RunAsync(Manifest.Read(folder.Manifest), Options(score: true));
        Assert.Equal(3, summary.Succeeded);
        Assert.Equal(written, File.GetLastWriteTimeUtc(folder.File("out/pair.1.wav")));
        var last = folder.AllResults().GroupBy(r => r.Item).Select(g => g.Last()).ToDictionary(r => r.Item);
        Assert.All(last.Values, r => Assert.NotNull(r.Scores));
        Assert.Equal(["out/pair.0.wav", "out/pair.1.wav"], last[3].Outputs);
        Assert.Equal(2, last[3].Scores!.Count);
        // A third run has nothing left to do.
        var again = await BatchRunner.RunAsync(Manifest.Read(folder.Manifest), Options(score: true));
        Assert.Equal((0, 3), (again.Succeeded, again.Skipped));
    }

    [Fact]
    public async Task WhatAKilledRunLeftBesideItsOutputsIsRemoved()
    {
        using var folder = await BatchFolder.CreateAsync();
        folder.WriteManifest(1);
        string stale = folder.File("out/.item-00.wav.0123456789abcdef0123456789abcdef.tmp");
        string unrelated = folder.File("out/.keep.0123456789abcdef0123456789abcdef.tmp");
        File.WriteAllText(stale, "half");
        File.WriteAllText(unrelated, "someone else's");
        await BatchRunner.RunAsync(Manifest.Read(folder.Manifest), Options());
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(unrelated));
    }

    [Fact]
    public async Task CancellingLeavesOnlyCompleteItems()
    {
        using var folder = await BatchFolder.CreateAsync();
        folder.WriteManifest(6);
        using var cancel = new CancellationTokenSource();
        var progress = new SyncProgress(p =>
        {
            if (p.Kind == BatchEventKind.Finished) cancel.Cancel();
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            BatchRunner.RunAsync(Manifest.Read(folder.Manifest), Options(), progress, cancel.Token));
        var results = folder.AllResults();
        Assert.NotEmpty(results);
        Assert.All(results, r => Assert.True(BatchFolder.IsWholeWav(folder.File(r.Output))));
        // Nothing else in out/: no half file, no temporary.
        Assert.Equal(results.Select(r => folder.File(r.Output)).Order(), Directory.GetFiles(folder.File("out")).Order());
    }

    [Fact]
    public async Task ItemsNameTheirModelByFolderOrName()
    {
        using var folder = await BatchFolder.CreateAsync();
        string relative = Path.GetRelativePath(folder.Path, BatchFolder.Bundle);
        folder.WriteManifest(0,
            BatchFolder.Item("out/by-folder.wav", 1, $"\"model\": {System.Text.Json.JsonSerializer.Serialize(relative)}"),
            BatchFolder.Item("out/unknown.wav", 2, "\"model\": \"vmas-large\""));
        await BatchRunner.RunAsync(Manifest.Read(folder.Manifest), new BatchOptions { Device = DeviceKind.Cpu });
        var results = folder.AllResults().ToDictionary(r => r.Item);
        Assert.Equal(BatchItemStatus.Ok, results[1].Status);
        Assert.Contains("not a model this build knows (default, v2meow", results[2].Error);
    }

    /// <summary>Reports on the caller's thread, in order (Progress&lt;T&gt; would post them to the thread pool).</summary>
    sealed class SyncProgress(Action<BatchProgress> report) : IProgress<BatchProgress>
    {
        readonly Lock _lock = new();

        public void Report(BatchProgress value)
        {
            lock (_lock) report(value);
        }
    }
}
