using System.Text.Json.Nodes;
using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Video;
using V2Meow.Runtime;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Families.Vmas;
using V2Meow.Runtime.Generation;
using V2Meow.Tests.Cli;
using V2Meow.Tests.Video;

namespace V2Meow.Tests.Families;

/// <summary>
/// VMAs end to end on generated videos with the vmas-tiny bundle (1 s windows continuing from 0.2 s, 240 Hz
/// audio): exact lengths over many windows, determinism, candidates, guidance, options it refuses, and the
/// configs and bundles it must refuse with one line naming the file and the field.
/// </summary>
[Collection(MediaCollection.Name)]
public class VmasPipelineTests(TestMedia media)
{
    static string Tiny => GoldenSets.Bundle("vmas-tiny");

    [Theory]
    [InlineData("odd-size")]
    [InlineData("short")]
    [InlineData("vfr")]
    public async Task MusicLastsExactlyAsLongAsTheVideoOverEveryWindow(string name)
    {
        string video = name switch { "odd-size" => media.OddSize, "short" => media.Short, _ => media.VariableFrameRate };
        using var pipeline = MusicModel.Load(Tiny, DeviceKind.Cpu);
        Assert.IsType<VmasPipeline>(pipeline);
        var probe = await VideoProbe.ProbeAsync(video);
        var result = await pipeline.GenerateAsync(new VideoInput { VideoPath = video }, new GenerationOptions { Seed = 3 });
        var waveform = Assert.Single(result.Waveforms);
        Assert.Equal((int)Math.Round(probe.DurationSeconds * pipeline.SampleRate), waveform.Length);
        Assert.All(waveform, s => Assert.True(float.IsFinite(s) && Math.Abs(s) <= 1f));
        Assert.Contains(result.Timings, t => t.Stage == PipelineStage.VideoEncoder);
        Assert.Contains(result.Timings, t => t.Stage == PipelineStage.MusicTokens);
    }

    [Fact]
    public async Task TheSameSeedGivesTheSameMusicAndCandidatesDiffer()
    {
        using var pipeline = MusicModel.Load(Tiny, DeviceKind.Cpu);
        var input = new VideoInput { VideoPath = media.OddSize };
        var one = await pipeline.GenerateAsync(input, new GenerationOptions { Seed = 9, Candidates = 2 });
        var again = await pipeline.GenerateAsync(input, new GenerationOptions { Seed = 9, Candidates = 2 });
        Assert.Equal(one.Waveforms[0], again.Waveforms[0]);
        Assert.Equal(one.Waveforms[1], again.Waveforms[1]);
        Assert.NotEqual(one.SemanticTokens[0], one.SemanticTokens[1]);
        // Candidate 0 of a batch is the single-candidate generation: its draws do not depend on the batch.
        var single = await pipeline.GenerateAsync(input, new GenerationOptions { Seed = 9 });
        Assert.Equal(single.Waveforms[0], one.Waveforms[0]);
    }

    [Fact]
    public async Task GuidanceTemperatureAndTopKChangeTheCodes()
    {
        using var pipeline = MusicModel.Load(Tiny, DeviceKind.Cpu);
        var input = new VideoInput { VideoPath = media.OddSize };
        var guided = await pipeline.GenerateAsync(input, new GenerationOptions { Seed = 4 });
        var unguided = await pipeline.GenerateAsync(input, new GenerationOptions { Seed = 4, Guidance = 1 });
        Assert.NotEqual(guided.SemanticTokens[0], unguided.SemanticTokens[0]);
        var greedy = await pipeline.GenerateAsync(input, new GenerationOptions { Seed = 4, Temperature = 0 });
        var greedyOtherSeed = await pipeline.GenerateAsync(input, new GenerationOptions { Seed = 5, Temperature = 0 });
        Assert.Equal(greedy.SemanticTokens[0], greedyOtherSeed.SemanticTokens[0]);
        var topOne = await pipeline.GenerateAsync(input, new GenerationOptions { Seed = 6, TopK = 1 });
        Assert.Equal(greedy.SemanticTokens[0], topOne.SemanticTokens[0]);
    }

    [Fact]
    public async Task OptionsVmasDoesNotHaveAreRefused()
    {
        using var pipeline = MusicModel.Load(Tiny, DeviceKind.Cpu);
        var input = new VideoInput { VideoPath = media.Short };
        await Assert.ThrowsAsync<ArgumentException>(() => pipeline.GenerateAsync(input with { Prompt = "slow piano" }));
        await Assert.ThrowsAsync<ArgumentException>(() => pipeline.GenerateAsync(input, new GenerationOptions { Stage2Temperature = 0.5 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => pipeline.GenerateAsync(input, new GenerationOptions { Guidance = -1 }));
    }

    [Fact]
    public async Task CancellationStopsBetweenSteps()
    {
        using var pipeline = MusicModel.Load(Tiny, DeviceKind.Cpu);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            pipeline.GenerateAsync(new VideoInput { VideoPath = media.OddSize }, null, null, cancel.Token));
    }

    static string CopyTiny(TempDirectory dir, Action<JsonObject> edit)
    {
        foreach (string file in Directory.GetFiles(Tiny)) File.Copy(file, dir.File(Path.GetFileName(file)));
        var config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!.AsObject();
        edit(config);
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());
        return dir.Path;
    }

    /// <summary>The bad configs: each one line naming config.json and the field, before any tensor is read.</summary>
    [Theory]
    [InlineData("frame-smaller-than-patch", "video.height", "smaller than the patch kernel")]
    [InlineData("pool-does-not-fit", "encoder.stages[1].pool", "does not divide")]
    [InlineData("mask-unit-does-not-fit", "encoder.stages[0].mask_unit", "does not divide")]
    [InlineData("codebooks-differ", "decoder.codebooks", "the codec has 2 levels")]
    [InlineData("time-pooled", "encoder.stages[1].pool", "the time axis is never pooled")]
    [InlineData("prompt-too-long", "prompt_seconds", "less than window_seconds")]
    public void ABadConfigIsOneLineNamingTheField(string problem, string field, string says)
    {
        using var dir = new TempDirectory();
        string bundle = CopyTiny(dir, c =>
        {
            switch (problem)
            {
                case "frame-smaller-than-patch": c["video"]!["height"] = 2; c["video"]!["width"] = 2; c["encoder"]!["patch_padding"] = new JsonArray(1, 0, 0); break;
                case "pool-does-not-fit": c["encoder"]!["stages"]![1]!["pool"] = new JsonArray(1, 3, 3); break;
                case "mask-unit-does-not-fit": c["encoder"]!["stages"]![0]!["mask_unit"] = new JsonArray(1, 3, 3); break;
                case "codebooks-differ": c["decoder"]!["codebooks"] = 3; break;
                case "time-pooled": c["encoder"]!["stages"]![1]!["pool"] = new JsonArray(2, 2, 2); break;
                default: c["prompt_seconds"] = 1; break;
            }
        });
        var e = Assert.Throws<BundleException>(() => MusicModel.Load(bundle, DeviceKind.Cpu));
        Assert.Contains(Path.Combine(bundle, "config.json"), e.Message);
        Assert.Contains(field, e.Message);
        Assert.Contains(says, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ACodecFileWithOtherCodebooksIsRefusedNamingTheTensor()
    {
        using var dir = new TempDirectory();
        string bundle = CopyTiny(dir, c => { c["decoder"]!["codebook_size"] = 17; c["codec"]!["codebook_size"] = 17; });
        var e = Assert.Throws<V2Meow.Loaders.Safetensors.SafetensorsFormatException>(() => MusicModel.Load(bundle, DeviceKind.Cpu));
        Assert.Contains(Path.Combine(bundle, "music_decoder.safetensors"), e.Message);
        Assert.Contains("decoder.embed.0.weight", e.Message);
    }

    [Fact]
    public void TheCliGeneratesFromAVmasBundleAndWritesNothingOnABadOne()
    {
        using var dir = new TempDirectory();
        string wav = dir.File("out.wav");
        var (code, output, error) = CliRunner.Run("generate", media.Short, "-o", wav, "--bundle", Tiny, "--device", "cpu",
            "--guidance", "2", "--top-k", "3", "--temperature", "0.9", "--seed", "5");
        Assert.True(code == 0, error);
        Assert.Contains("wrote", output);
        Assert.True(File.Exists(wav));

        string bad = CopyTiny(new TempDirectory(), c => c["decoder"]!["codebooks"] = 3);
        string wav2 = dir.File("bad.wav");
        (code, _, error) = CliRunner.Run("generate", media.Short, "-o", wav2, "--bundle", bad, "--device", "cpu");
        Assert.Equal(2, code);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.False(File.Exists(wav2));

        // V2Meow has no guidance: a usage error, not a crash.
        (code, _, error) = CliRunner.Run("generate", media.Short, "-o", wav2, "--bundle", GoldenSets.Bundle("tiny"), "--device", "cpu", "--guidance", "2");
        Assert.Equal(2, code);
        Assert.Contains("guidance", error);
        Assert.False(File.Exists(wav2));
    }

    [Fact]
    public void WindowsContinueFromThePromptAndEndAtTheTotal()
    {
        // Window w starts at w · (20 − 4); each later one continues from the 4 frames before its new ones.
        var windows = VmasWindow.Cover(total: 53, windowFrames: 20, promptFrames: 4);
        Assert.Equal([0, 16, 32, 48], windows.Select(w => w.Start));
        Assert.Equal([20, 20, 20, 5], windows.Select(w => w.Frames));
        Assert.Equal([0, 4, 4, 4], windows.Select(w => w.PromptFrames));
        for (int i = 1; i < windows.Count; i++) Assert.Equal(windows[i - 1].End, windows[i].Start + windows[i].PromptFrames);
        Assert.Single(VmasWindow.Cover(total: 7, windowFrames: 20, promptFrames: 4));
    }
}
