using V2Meow.Loaders.Audio;
using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;
using V2Meow.Loaders.Video;
using V2Meow.Runtime;
using V2Meow.Runtime.Backends;
using V2Meow.Tests.Backends;
using V2Meow.Tests.Video;
using Xunit.Abstractions;

namespace V2Meow.Tests.Families;

/// <summary>
/// VMAs' contrastive projections (VMAS.md §14) through <see cref="MatchModel"/> with the vmas-match golden bundle: the
/// golden's vectors and similarities on both backends, whole recordings ranked best first, and every bundle or input
/// that cannot be matched refused with an error naming it.
/// </summary>
[Collection(MediaCollection.Name)]
public class VmasMatchTests(TestMedia media, BackendFixture backends, ITestOutputHelper output) : IClassFixture<BackendFixture>
{
    static string Bundle => GoldenSets.Bundle("vmas-match");

    [Theory]
    [MemberData(nameof(BackendFixture.Names), MemberType = typeof(BackendFixture))]
    public void TheGoldensVectorsAndSimilaritiesMatchTheReference(string backendName)
    {
        var report = ModelFamilies.Of(Bundle).CreateVerifier().Verify(Bundle, GoldenSets.Golden("vmas-match"), backends.Get(backendName));
        foreach (var c in report.Comparisons.Where(c => c.Name.StartsWith("contrastive.", StringComparison.Ordinal))) output.WriteLine(c.ToString());
        Assert.Empty(report.Unverified);
        foreach (string name in new[] { "contrastive.video", "contrastive.music", "contrastive.similarity", "codec_encoder.codes" })
            Assert.Contains(report.Comparisons, c => c.Name == name);
        Assert.True(report.Passes, report.Summary);
    }

    [Fact]
    public async Task RanksRecordingsBestFirstWithTheirOwnSimilarities()
    {
        using var dir = new TempDirectory();
        // A third recording unlike the other two: a low buzz written at the codec's own 240 Hz.
        string buzz = dir.File("buzz.wav");
        WavWriter.Write(buzz, Enumerable.Range(0, 480).Select(i => (float)(0.5 * Math.Sign(Math.Sin(i * 0.7)))).ToArray(), 240);
        using var matcher = MatchModel.Load(Bundle, DeviceKind.Cpu);
        Assert.Equal(12, matcher.Dim);
        string[] audio = [media.Wav, media.WithAudio, buzz, media.Wav];

        var ranking = await matcher.RankAsync(media.OddSize, audio);
        Assert.Equal(4, ranking.Count);
        for (int i = 1; i < ranking.Count; i++) Assert.True(ranking[i - 1].Similarity >= ranking[i].Similarity, "best first");
        // The same recording twice ties; the order given is kept.
        var twice = ranking.Where(m => m.AudioPath == media.Wav).ToList();
        Assert.Equal(2, twice.Count);
        Assert.Equal(twice[0].Similarity, twice[1].Similarity);

        float[] video = await matcher.EmbedVideoAsync(media.OddSize);
        Assert.Equal(1.0, Math.Sqrt(video.Sum(v => (double)v * v)), 5); // a unit vector, rounded to float32
        foreach (var m in ranking)
        {
            float[] music = await matcher.EmbedMusicAsync(m.AudioPath);
            Assert.Equal(MatchModel.Similarity(video, music), m.Similarity);
            Assert.InRange(m.Similarity, -1.000001, 1.000001);
        }
    }

    [Fact]
    public async Task MusicFromAudioIsMusicFromTheCodecsCodes()
    {
        using var matcher = MatchModel.Load(Bundle, DeviceKind.Cpu);
        using var codec = CodecModel.Load(Bundle, DeviceKind.Cpu);
        var encoded = await codec.EncodeAsync(media.Wav);
        Assert.Equal(matcher.EmbedCodes(encoded.Codes), await matcher.EmbedMusicAsync(media.Wav));
    }

    [Fact]
    public async Task ALongVideoAveragesEveryWindow()
    {
        // 3.5 s at the bundle's 5 fps is 18 frames: four 1-second windows of 5 (the last holds the final frame).
        using var matcher = MatchModel.Load(Bundle, DeviceKind.Cpu);
        float[] whole = await matcher.EmbedVideoAsync(media.OddSize);
        float[] segments = await matcher.EmbedVideoAsync(media.Segments);
        Assert.NotEqual(whole, segments);
        Assert.All(whole.Concat(segments), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void BundlesWithoutWhatMatchingNeedsAreRefusedByName()
    {
        var e = Assert.Throws<BundleException>(() => MatchModel.Load(GoldenSets.Bundle("vmas-tiny"), DeviceKind.Cpu));
        Assert.Contains("no contrastive projections", e.Message);
        e = Assert.Throws<BundleException>(() => MatchModel.Load(GoldenSets.Bundle("tiny"), DeviceKind.Cpu));
        Assert.Contains("v2meow/1 bundle has no contrastive projections", e.Message);

        using var dir = new TempDirectory();
        string copy = dir.File("bundle");
        CopyBundle(copy);
        File.Delete(Path.Combine(copy, "codec_encoder.safetensors"));
        e = Assert.Throws<BundleException>(() => MatchModel.Load(copy, DeviceKind.Cpu));
        Assert.Contains("codec_encoder", e.Message);

        File.Delete(Path.Combine(copy, "contrastive.safetensors"));
        e = Assert.Throws<BundleException>(() => MatchModel.Load(copy, DeviceKind.Cpu));
        Assert.Contains("component 'contrastive' is missing", e.Message);
    }

    [Fact]
    public void AProjectionOfTheWrongShapeNamesTheTensor()
    {
        using var dir = new TempDirectory();
        string copy = dir.File("bundle");
        CopyBundle(copy);
        // Another width in config.json than the file's: the file's metadata and its tensors disagree with it.
        string config = Path.Combine(copy, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"dim\": 12", "\"dim\": 11", StringComparison.Ordinal));
        var e = Assert.ThrowsAny<Exception>(() => MatchModel.Load(copy, DeviceKind.Cpu));
        Assert.True(e is BundleException or SafetensorsFormatException, e.ToString());
        Assert.Contains("contrastive", e.Message);
    }

    [Fact]
    public async Task UnreadableAudioIsAMediaErrorNamingTheFile()
    {
        using var matcher = MatchModel.Load(Bundle, DeviceKind.Cpu);
        var e = await Assert.ThrowsAsync<MediaException>(() => matcher.EmbedMusicAsync(media.NotAVideo));
        Assert.Contains(media.NotAVideo, e.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => matcher.RankAsync(media.OddSize, []));
    }

    static void CopyBundle(string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(Bundle)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
