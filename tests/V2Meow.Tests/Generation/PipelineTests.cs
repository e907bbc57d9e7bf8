using System.Text.Json;
using V2Meow.Loaders.Features;
using V2Meow.Loaders.Video;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Families.V2Meow;
using V2Meow.Runtime.Generation;
using V2Meow.Tests.Video;

namespace V2Meow.Tests.Generation;

/// <summary>Video in, music out, on real (generated) videos: lengths, containers, determinism, threads, cancellation.</summary>
[Collection(MediaCollection.Name)]
public class PipelineTests(TestMedia media, DefaultPipelineFixture fixture) : IClassFixture<DefaultPipelineFixture>
{
    V2MeowPipeline Pipeline => fixture.Pipeline;

    public static TheoryData<string> Videos() => new() { "odd-size", "rotated", "with-audio", "short", "vfr" };

    string VideoFor(string name) => name switch
    {
        "odd-size" => media.OddSize,
        "rotated" => media.Rotated,
        "with-audio" => media.WithAudio,
        "short" => media.Short,
        _ => media.VariableFrameRate,
    };

    static async Task<double> DurationOf(string path, string streamType)
    {
        string json = await TestMedia.FfprobeJson(path, "stream=codec_type,duration:format=duration");
        using var doc = JsonDocument.Parse(json);
        foreach (var s in doc.RootElement.GetProperty("streams").EnumerateArray())
            if (s.GetProperty("codec_type").GetString() == streamType && s.TryGetProperty("duration", out var d))
                return double.Parse(d.GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        return double.Parse(doc.RootElement.GetProperty("format").GetProperty("duration").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Theory]
    [MemberData(nameof(Videos))]
    public async Task WavLastsAsLongAsTheVideo(string name)
    {
        string video = VideoFor(name);
        var probe = await VideoProbe.ProbeAsync(video);
        var result = await Pipeline.GenerateAsync(new VideoInput { VideoPath = video }, new GenerationOptions { Seed = 1 });

        var waveform = Assert.Single(result.Waveforms);
        double frameSeconds = 1.0 / Pipeline.Config.Rates.AcousticHz;
        Assert.InRange(waveform.Length / (double)result.SampleRate, probe.DurationSeconds - frameSeconds, probe.DurationSeconds + frameSeconds);
        Assert.All(waveform, s => Assert.True(float.IsFinite(s) && Math.Abs(s) <= 1f));

        using var dir = new TempDirectory();
        string wav = dir.File("music.wav");
        await MusicWriter.WriteAsync(result, 0, wav, video);
        Assert.InRange(await DurationOf(wav, "audio"), probe.DurationSeconds - frameSeconds, probe.DurationSeconds + frameSeconds);
    }

    [Fact]
    public async Task Mp4HasTheVideoAndTheMusicReplacingTheOldAudio()
    {
        var result = await Pipeline.GenerateAsync(new VideoInput { VideoPath = media.WithAudio }, new GenerationOptions { Seed = 2 });
        using var dir = new TempDirectory();
        string mp4 = dir.File("scored.mp4");
        await MusicWriter.WriteAsync(result, 0, mp4, media.WithAudio);

        string json = await TestMedia.FfprobeJson(mp4, "stream=codec_type,codec_name");
        using var doc = JsonDocument.Parse(json);
        var streams = doc.RootElement.GetProperty("streams").EnumerateArray()
            .Select(s => (s.GetProperty("codec_type").GetString(), s.GetProperty("codec_name").GetString())).ToList();
        Assert.Equal(2, streams.Count);
        Assert.Contains(("video", "h264"), streams);
        Assert.Contains(("audio", "aac"), streams);
        // AAC pads to whole 1024-sample frames; one frame at 16 kHz is 64 ms.
        Assert.InRange(await DurationOf(mp4, "audio"), result.DurationSeconds - 0.07, result.DurationSeconds + 0.07);
    }

    [Fact]
    public async Task SameSeedSameAudioAlsoWhenCallsRunConcurrently()
    {
        var input = new VideoInput { VideoPath = media.OddSize };
        var options = new GenerationOptions { Seed = 42, Candidates = 2 };
        var sequential = await Pipeline.GenerateAsync(input, options);
        var concurrent = await Task.WhenAll(
            Task.Run(() => Pipeline.GenerateAsync(input, options)),
            Task.Run(() => Pipeline.GenerateAsync(input, options with { Seed = 43 })),
            Task.Run(() => Pipeline.GenerateAsync(input, options)));

        Assert.Equal(sequential.Waveforms[0], concurrent[0].Waveforms[0]);
        Assert.Equal(sequential.Waveforms[1], concurrent[2].Waveforms[1]);
        Assert.Equal(sequential.SemanticTokens[0], concurrent[2].SemanticTokens[0]);
        Assert.NotEqual(sequential.SemanticTokens[0], concurrent[1].SemanticTokens[0]);
        // Candidates draw from different RNG streams.
        Assert.NotEqual(sequential.SemanticTokens[0], sequential.SemanticTokens[1]);
    }

    [Fact]
    public async Task LongVideosAreCoveredBySlidingWindowsThatContinueEachOther()
    {
        // 23 s crosses several 10 s windows of stages 1 and 2 and eight 3 s windows of stage 3.
        using var dir = new TempDirectory();
        string video = dir.File("long.mp4");
        await TestMedia.Ffmpeg($"-f lavfi -i testsrc=size=64x48:rate=5:duration=23 -c:v libx264 -preset ultrafast -pix_fmt yuv420p \"{video}\"");
        var progress = new List<GenerationProgress>();
        var result = await Pipeline.GenerateAsync(new VideoInput { VideoPath = video }, new GenerationOptions { Seed = 5 },
            new SynchronousProgress(progress.Add));

        Assert.Equal((int)Math.Round(result.DurationSeconds * result.SampleRate), result.Waveforms[0].Length);
        Assert.Equal((int)Math.Ceiling(result.DurationSeconds * 25 - 1e-6), result.SemanticTokens[0].Length);
        var semanticWindows = progress.Where(p => p.Stage == PipelineStage.Semantic).ToList();
        Assert.Equal(4, semanticWindows.Count); // 250-token windows stepping by 125 over 575 tokens
        Assert.Equal(semanticWindows[^1].TokensTotal, semanticWindows[^1].TokensDone);
        // Every stage of V2Meow's pipeline reports, in order (VideoEncoder and MusicTokens are VMAs').
        Assert.Equal([PipelineStage.Features, PipelineStage.Semantic, PipelineStage.Coarse, PipelineStage.Fine, PipelineStage.Codec],
            progress.Select(p => p.Stage).Distinct());
    }

    [Fact]
    public async Task CancellationStopsTheGeneration()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Pipeline.GenerateAsync(new VideoInput { VideoPath = media.OddSize }, cancellationToken: cancel.Token));
    }

    [Fact]
    public async Task StyleEmbeddingMustFitTheBundle()
    {
        var wrong = new VideoInput { VideoPath = media.Short, StyleEmbedding = new float[7] };
        var error = await Assert.ThrowsAsync<MediaException>(() => Pipeline.GenerateAsync(wrong));
        Assert.Contains("128", error.Message);

        var style = Enumerable.Range(0, 128).Select(i => MathF.Sin(i)).ToArray();
        var styled = await Pipeline.GenerateAsync(new VideoInput { VideoPath = media.Short, StyleEmbedding = style }, new GenerationOptions { Seed = 1 });
        var plain = await Pipeline.GenerateAsync(new VideoInput { VideoPath = media.Short }, new GenerationOptions { Seed = 1 });
        Assert.NotEqual(plain.SemanticTokens[0], styled.SemanticTokens[0]);
    }

    [Fact]
    public async Task TheIlgpuBackendRunsThePipelineWithPrecomputedFeatures()
    {
        // The tiny golden bundle reads a 16-d 'clip' stream from a file; ILGPU's CPU accelerator is an
        // emulator, so this stays at tiny sizes (0.4 s of video).
        using var dir = new TempDirectory();
        string features = dir.File("clip.npy");
        var rows = new float[1, 16];
        for (int j = 0; j < 16; j++) rows[0, j] = MathF.Cos(j);
        NpyFile.Write(features, rows);
        var input = new VideoInput { VideoPath = media.Short, FeatureFiles = new Dictionary<string, string> { ["clip"] = features } };
        var options = new GenerationOptions { Seed = 9 };

        using var ilgpu = V2MeowPipeline.Load(GoldenSets.Bundle("tiny"), DeviceKind.IlgpuCpu);
        using var cpu = V2MeowPipeline.Load(GoldenSets.Bundle("tiny"), DeviceKind.Cpu);
        var onIlgpu = await ilgpu.GenerateAsync(input, options);
        var onCpu = await cpu.GenerateAsync(input, options);

        Assert.Equal((int)Math.Round(0.4 * ilgpu.SampleRate), onIlgpu.Waveforms[0].Length);
        // Same seed, same logits to ~1e-6: the sampled tokens agree unless a draw lands within rounding of a
        // boundary (SPEC §8.2), which these few tokens do not.
        Assert.Equal(onCpu.SemanticTokens[0], onIlgpu.SemanticTokens[0]);
        for (int i = 0; i < onCpu.Waveforms[0].Length; i++)
            Assert.True(Math.Abs(onCpu.Waveforms[0][i] - onIlgpu.Waveforms[0][i]) <= 1e-4, $"sample {i}");
    }

    sealed class SynchronousProgress(Action<GenerationProgress> report) : IProgress<GenerationProgress>
    {
        public void Report(GenerationProgress value) => report(value);
    }
}
