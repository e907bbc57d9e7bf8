using System.Diagnostics;
using V2Meow.Cli;
using V2Meow.Runtime.Batch;
using V2Meow.Tests.Cli;

namespace V2Meow.Tests.Batch;

/// <summary>
/// `v2meow batch` as processes on shared storage: shards running at once, a batch killed mid-item and run
/// again, a batch stopped by SIGTERM, and the exit codes and error lines.
/// </summary>
public class BatchCommandTests
{
    static readonly string[] Common = ["--model", BatchFolder.Bundle, "--device", "cpu"];

    [Fact]
    public async Task FortyItemsAsFourShardProcessesAtOnceGiveEveryItemExactlyOnce()
    {
        using var folder = await BatchFolder.CreateAsync();
        folder.WriteManifest(40);
        // Two shards as a Kubernetes Indexed Job starts them, two as a Slurm array does.
        var environments = new List<Dictionary<string, string>>
        {
            new() { ["JOB_COMPLETION_INDEX"] = "0" },
            new() { ["JOB_COMPLETION_INDEX"] = "1" },
            new() { ["SLURM_ARRAY_TASK_ID"] = "3", ["SLURM_ARRAY_TASK_COUNT"] = "4", ["SLURM_ARRAY_TASK_MIN"] = "1" },
            new() { ["SLURM_ARRAY_TASK_ID"] = "4", ["SLURM_ARRAY_TASK_COUNT"] = "4", ["SLURM_ARRAY_TASK_MIN"] = "1" },
        };
        var processes = environments.Select(env =>
            CliProcess.Start(folder.Path, env, ["batch", "catalogue.jsonl", .. env.ContainsKey("JOB_COMPLETION_INDEX") ? ["--shards", "4"] : Array.Empty<string>(), .. Common]))
            .ToList();
        try
        {
            var exits = await Task.WhenAll(processes.Select(p => p.WaitAsync()));
            foreach (var (code, _, error) in exits) Assert.True(code == 0, error);
        }
        finally
        {
            foreach (var p in processes) p.Dispose();
        }

        Assert.Equal(4, Directory.GetFiles(folder.Path, "catalogue.results.*-of-4.jsonl").Length);
        var results = folder.AllResults();
        Assert.Equal(40, results.Count);
        Assert.All(results, r => Assert.Equal(BatchItemStatus.Ok, r.Status));
        Assert.Equal(Enumerable.Range(1, 40), results.Select(r => r.Item).Order());
        for (int i = 0; i < 40; i++) Assert.True(BatchFolder.IsWholeWav(folder.File($"out/item-{i:00}.wav")));
        Assert.Equal(40, Directory.GetFiles(folder.File("out")).Length);
    }

    [Fact]
    public async Task ABatchKilledMidItemAndRunAgainFinishesWithNoDuplicateAndNoHalfFile()
    {
        using var folder = await BatchFolder.CreateAsync();
        folder.WriteManifest(12);
        string results = folder.File("catalogue.results.jsonl");
        using (var first = CliProcess.Start(folder.Path, null, ["batch", "catalogue.jsonl", .. Common]))
        {
            // Kill -9 as soon as two items are written: the next ones are mid-way (one generating, one decoding).
            var clock = Stopwatch.StartNew();
            while (!(File.Exists(results) && File.ReadAllLines(results).Length >= 2) && clock.Elapsed < TimeSpan.FromMinutes(2))
                await Task.Delay(20);
            Kill(first.Id);
            await first.WaitAsync();
        }
        int before = ResultsJournal.Read(results).Count;
        Assert.InRange(before, 2, 11);

        var (code, output, error) = await CliProcess.RunAsync(folder.Path, ["batch", "catalogue.jsonl", .. Common]);
        Assert.True(code == 0, error);
        Assert.Contains($"{before} already complete", output);
        var lines = ResultsJournal.Read(results);
        Assert.Equal(12, lines.Count);                                    // no item twice
        Assert.Equal(Enumerable.Range(1, 12), lines.Select(r => r.Item).Order());
        Assert.Empty(folder.Temporaries());                               // the killed run's temporaries are gone
        Assert.Equal(12, Directory.GetFiles(folder.File("out")).Length);
        for (int i = 0; i < 12; i++) Assert.True(BatchFolder.IsWholeWav(folder.File($"out/item-{i:00}.wav")));
    }

    [Fact]
    public async Task SigtermStopsAfterCleaningUpTheCurrentItem()
    {
        using var folder = await BatchFolder.CreateAsync();
        folder.WriteManifest(12);
        string results = folder.File("catalogue.results.jsonl");
        using var batch = CliProcess.Start(folder.Path, null, ["batch", "catalogue.jsonl", .. Common]);
        var clock = Stopwatch.StartNew();
        while (!File.Exists(results) || File.ReadAllLines(results).Length < 1)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(2)) throw new TimeoutException("no item finished");
            await Task.Delay(20);
        }
        batch.Terminate();
        var (code, _, error) = await batch.WaitAsync();
        var lines = ResultsJournal.Read(results);
        if (lines.Count == 12) return; // finished before the signal arrived: nothing to check
        Assert.Equal(BatchCommand.Interrupted, code);
        Assert.Contains("interrupted", error);
        Assert.Contains("run the same command again to resume", error);
        Assert.Equal(lines.Select(r => folder.File(r.Output)).Order(), Directory.GetFiles(folder.File("out")).Order());
    }

    [Fact]
    public async Task AFailedItemMakesExitCodeOneAndEachGetsItsLine()
    {
        using var folder = await BatchFolder.CreateAsync();
        Directory.CreateDirectory(folder.File("out/dir.wav"));
        folder.WriteManifest(2, """{"video": "in/clip.mp4"}""", BatchFolder.Item("out/dir.wav", 3), BatchFolder.Item("out/item-00.wav", 4));
        var (code, output, error) = await CliRunner.RunAsync(["batch", folder.Manifest, .. Common]);
        Assert.Equal(BatchCommand.SomeFailed, code);
        Assert.Contains("5 items: 2 written, 3 failed", output);
        Assert.Contains("line 3: missing field 'output'", error);
        Assert.Contains("line 4: ", error);
        Assert.Contains("is a directory", error);
        Assert.Contains("line 5: output", error);
        Assert.DoesNotContain("   at ", error); // no stack trace: bad input is not a bug
    }

    [Theory]
    [InlineData("missing.jsonl", new string[0], "missing.jsonl: file not found")]
    [InlineData("catalogue.jsonl", new[] { "--shards", "4" }, "--shards 4 needs the shard index")]
    [InlineData("catalogue.jsonl", new[] { "--shard", "4/4" }, "--shard '4/4': expected I/N")]
    [InlineData("catalogue.jsonl", new[] { "--shard", "0/2", "--shards", "2" }, "not both")]
    [InlineData("catalogue.jsonl", new[] { "--model", "nope" }, "model 'nope'")]
    public async Task ABatchThatCannotRunIsOneErrorLine(string manifest, string[] options, string message)
    {
        using var folder = await BatchFolder.CreateAsync();
        folder.WriteManifest(1);
        var (code, _, error) = await CliRunner.RunAsync(["batch", folder.File(manifest), "--device", "cpu", .. options]);
        if (message.StartsWith("model")) // an unknown batch model fails every item that needs it, not the batch
        {
            Assert.Equal(BatchCommand.SomeFailed, code);
            Assert.Contains(message, error);
            return;
        }
        Assert.Equal(2, code);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines, l => l.StartsWith("error: "));
        Assert.Contains(message, error);
    }

    static void Kill(int pid)
    {
        using var kill = Process.Start("kill", ["-KILL", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }
}
