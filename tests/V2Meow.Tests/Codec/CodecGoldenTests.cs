using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Codecs.Seanet;
using V2Meow.Runtime.Verification;
using V2Meow.Tests.Backends;
using Xunit.Abstractions;

namespace V2Meow.Tests.Codec;

/// <summary>
/// The codec of every committed golden set, on both backends, against the PyTorch reference's intermediates
/// (SPEC §10): codec.latent, codec.in_conv, codec.blocks.{b}, codec.waveform, decoded from codec.input.codes.
/// </summary>
public class CodecGoldenTests(BackendFixture backends, ITestOutputHelper output) : IClassFixture<BackendFixture>
{
    public static TheoryData<string, string> SetsAndBackends()
    {
        var data = new TheoryData<string, string>();
        foreach (var set in GoldenSets.Names)
            foreach (var backend in BackendFixture.Names)
                data.Add(set, backend);
        return data;
    }

    /// <summary>
    /// For the format-error tests, which fail before any comparison: the float32 bound of a direct comparison
    /// (GoldenTolerance.Float32).
    /// </summary>
    const double Tolerance = GoldenTolerance.Float32;

    /// <summary>
    /// Judged as <c>v2meow verify</c> judges: each tensor's error against the golden's float64 evaluation
    /// within <see cref="GoldenTolerance.Limit"/> of PyTorch-f32's own (4×, at least 16 float32 roundings,
    /// at most 1e-4 where PyTorch is within it). tiny_f16 is held to the same rule as the f32 sets: its goldens
    /// were computed from the f16 weights widened exactly, which is what the decoder uploads, so f16 rounding
    /// is not part of either error.
    /// </summary>
    [Theory]
    [MemberData(nameof(SetsAndBackends))]
    public void MatchesTheReference(string set, string backendName)
    {
        using var bundle = Bundle.Open(GoldenSets.Bundle(set));
        using var golden = SafetensorsFile.Open(GoldenSets.Golden(set));
        var verifier = new GoldenVerifier();
        verifier.Register(new CodecGoldenVerifier());
        var report = verifier.Verify(bundle, golden, backends.Get(backendName));
        var results = report.Comparisons;

        foreach (var result in results) output.WriteLine($"{set} {backendName}: {result}");
        // Every codec.* tensor of the golden is accounted for, in pipeline order, each float one judged against
        // its float64 evaluation.
        var expectedNames = new List<string> { "codec.input.codes", "codec.latent", "codec.in_conv" };
        if (bundle.Config.Codec.LstmLayers > 0) expectedNames.Add("codec.lstm"); // the encodec kind's LSTM (VMAS.md §9)
        expectedNames.AddRange(Enumerable.Range(0, bundle.Config.Codec.Strides.Count).Select(b => $"codec.blocks.{b}"));
        expectedNames.Add("codec.waveform");
        Assert.Equal(expectedNames, results.Select(r => r.Name));
        Assert.Equal(expectedNames.Order(StringComparer.Ordinal),
            golden.Tensors.Select(t => t.Name).Where(n => n.StartsWith("codec.", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.All(results.Skip(1), r => Assert.NotNull(r.Float64));
        foreach (var result in results)
            Assert.True(result.Passes, $"{set} {backendName}: {result}");
    }

    [Fact]
    public void GoldenCodesUseEveryLevelAndSpanTheCodebook()
    {
        // The sets exercise the whole code range (SPEC §10), so the decode is tested at both ends of it.
        foreach (var set in GoldenSets.Names)
        {
            using var bundle = Bundle.Open(GoldenSets.Bundle(set));
            using var golden = SafetensorsFile.Open(GoldenSets.Golden(set));
            var view = golden.Get(CodecGoldenVerifier.CodesName);
            var codes = view.ToInt32();
            Assert.Equal(bundle.Config.TotalLevels, view.Shape[0]);
            Assert.Equal(0, codes.Min());
            Assert.Equal(bundle.Config.Tokens.CodebookSize - 1, codes.Max());
        }
    }

    [Fact]
    public void TheVerifyCommandChecksTheCodec()
    {
        Assert.Contains("codec", GoldenVerifier.CreateDefault().Components);
        Assert.Equal("codec", new CodecGoldenVerifier().Component);
    }

    /// <summary>A copy of the tiny golden's codec.* tensors, minus <paramref name="drop"/>, plus <paramref name="extra"/>.</summary>
    static void WriteAlteredGolden(string path, string? drop, string? extra)
    {
        using var golden = SafetensorsFile.Open(GoldenSets.Golden("tiny"));
        var writer = new SafetensorsWriter();
        foreach (var entry in golden.Tensors.Where(t => t.Name.StartsWith("codec.", StringComparison.Ordinal) && t.Name != drop))
            writer.Add(entry.Name, entry.DType, entry.Shape, golden.Get(entry.Name).Bytes);
        if (extra is not null) writer.AddFloat32(extra, [2], [0f, 0f]);
        writer.Save(path);
    }

    [Theory]
    [InlineData("codec.blocks.1", null, "codec.blocks.1", "missing")]
    [InlineData(null, "codec.blocks.7", "codec.blocks.7", "produces no tensor of this name")]
    public void AGoldenThatDoesNotMatchTheCodecIsAFormatError(string? drop, string? extra, string named, string problem)
    {
        using var dir = new TempDirectory();
        string path = dir.File("golden.safetensors");
        WriteAlteredGolden(path, drop, extra);
        using var bundle = Bundle.Open(GoldenSets.Bundle("tiny"));
        using var golden = SafetensorsFile.Open(path);
        using var decoder = SeanetDecoder.Load(bundle, backends.Get("cpu"));
        var e = Assert.Throws<SafetensorsFormatException>(() => CodecGoldenVerifier.Verify(decoder, golden, Tolerance));
        Assert.Contains($"'{named}'", e.Message);
        Assert.Contains(problem, e.Message);
    }
}
