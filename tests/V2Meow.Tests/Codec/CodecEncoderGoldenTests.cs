using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Codecs;
using V2Meow.Runtime.Verification;
using V2Meow.Tests.Backends;
using Xunit.Abstractions;

namespace V2Meow.Tests.Codec;

/// <summary>
/// The codec's encoder (SPEC §9.3) of every golden set that has one, on both backends, against the PyTorch
/// reference's intermediates: codec_encoder.in_conv, .blocks.{b}, .lstm (encodec), .latent from the recorded
/// waveform, judged against float64 as <c>v2meow verify</c> judges; codec_encoder.codes exactly.
/// </summary>
public class CodecEncoderGoldenTests(BackendFixture backends, ITestOutputHelper output) : IClassFixture<BackendFixture>
{
    /// <summary>The sets whose bundle has codec_encoder.safetensors: codec_encoder (causal, Snake) and codec_encoder_odd (encodec, centred, ELU, in_proj).</summary>
    static IEnumerable<string> Sets => GoldenSets.Names.Where(s =>
        File.Exists(Path.Combine(GoldenSets.Bundle(s), CodecEncoderLayout.Component + ".safetensors")));

    public static TheoryData<string, string> SetsAndBackends()
    {
        var data = new TheoryData<string, string>();
        foreach (var set in Sets)
            foreach (var backend in BackendFixture.Names)
                data.Add(set, backend);
        return data;
    }

    [Fact]
    public void TwoSetsCoverBothPaddingsBothKindsAndTheInProjection()
    {
        Assert.Equal(["codec_encoder", "codec_encoder_odd"], Sets);
        using var plain = Bundle.Open(GoldenSets.Bundle("codec_encoder"));
        using var odd = Bundle.Open(GoldenSets.Bundle("codec_encoder_odd"));
        Assert.True(plain.Config.Codec.IsCausal && plain.Config.Codec.IsSnake && !plain.Config.Codec.OutProj);
        Assert.True(!odd.Config.Codec.IsCausal && !odd.Config.Codec.IsSnake && odd.Config.Codec.OutProj && odd.Config.Codec.LstmLayers > 0);
    }

    [Theory]
    [MemberData(nameof(SetsAndBackends))]
    public void MatchesTheReference(string set, string backendName)
    {
        using var bundle = Bundle.Open(GoldenSets.Bundle(set));
        using var golden = SafetensorsFile.Open(GoldenSets.Golden(set));
        var verifier = new GoldenVerifier();
        verifier.Register(new CodecEncoderGoldenVerifier());
        var report = verifier.Verify(bundle, golden, backends.Get(backendName));
        foreach (var result in report.Comparisons) output.WriteLine($"{set} {backendName}: {result}");

        // Every codec_encoder.* tensor but the input waveform is compared, in pipeline order.
        var expected = new List<string> { "codec_encoder.in_conv" };
        expected.AddRange(Enumerable.Range(0, bundle.Config.Codec.Strides.Count).Select(b => $"codec_encoder.blocks.{b}"));
        if (bundle.Config.Codec.LstmLayers > 0) expected.Add("codec_encoder.lstm");
        expected.AddRange(["codec_encoder.latent", "codec_encoder.codes"]);
        Assert.Equal(expected, report.Comparisons.Select(r => r.Name));
        Assert.All(report.Comparisons.Where(r => r.IsFloat), r => Assert.NotNull(r.Float64));
        foreach (var result in report.Comparisons)
            Assert.True(result.Passes, $"{set} {backendName}: {result}");
    }

    [Theory]
    [MemberData(nameof(SetsAndBackends))]
    public void TheRuntimesOwnLatentGivesTheGoldenCodes(string set, string backendName)
    {
        // The verifier searches the golden's latent; from the runtime's own latent the codes agree too unless a
        // near-tie within float32 noise falls the other way, which these seeds do not have.
        using var bundle = Bundle.Open(GoldenSets.Bundle(set));
        using var golden = SafetensorsFile.Open(GoldenSets.Golden(set));
        using var encoder = CodecEncoders.Load(bundle, backends.Get(backendName));
        var codes = golden.Get(CodecEncoderGoldenVerifier.CodesName);
        var got = encoder.Encode(golden.Get(CodecEncoderGoldenVerifier.WaveformName).ToFloat32(), encoder.Levels);
        Assert.Equal(codes.ToInt32(), got);
        Assert.Equal(bundle.Config.TotalLevels, (int)codes.Shape[0]);
    }

    [Fact]
    public void TheVerifyCommandChecksTheEncoder() =>
        Assert.Contains("codec_encoder", GoldenVerifier.CreateDefault().Components);

    /// <summary>A copy of the set's codec_encoder.* tensors and their float64 twins, minus <paramref name="drop"/>, plus <paramref name="extra"/>.</summary>
    static void WriteAlteredGolden(string path, string? drop, string? extra)
    {
        using var golden = SafetensorsFile.Open(GoldenSets.Golden("codec_encoder"));
        var writer = new SafetensorsWriter();
        foreach (var entry in golden.Tensors.Where(t => t.Name.Contains("codec_encoder.", StringComparison.Ordinal) && t.Name != drop))
            writer.Add(entry.Name, entry.DType, entry.Shape, golden.Get(entry.Name).Bytes);
        if (extra is not null) writer.AddFloat32(extra, [2], [0f, 0f]);
        writer.Save(path);
    }

    [Theory]
    [InlineData("codec_encoder.blocks.1", null, "codec_encoder.blocks.1", "missing")]
    [InlineData(null, "codec_encoder.blocks.7", "codec_encoder.blocks.7", "produces no tensor of this name")]
    public void AGoldenThatDoesNotMatchTheEncoderIsAFormatError(string? drop, string? extra, string named, string problem)
    {
        using var dir = new TempDirectory();
        string path = dir.File("golden.safetensors");
        WriteAlteredGolden(path, drop, extra);
        using var bundle = Bundle.Open(GoldenSets.Bundle("codec_encoder"));
        using var golden = SafetensorsFile.Open(path);
        using var encoder = CodecEncoders.Load(bundle, backends.Get("cpu"));
        var e = Assert.Throws<SafetensorsFormatException>(() => CodecEncoderGoldenVerifier.Verify(encoder, golden, GoldenTolerance.Float32));
        Assert.Contains($"'{named}'", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void AGoldenWithEncoderTensorsNeedsABundleWithAnEncoder()
    {
        // tiny has no codec_encoder.safetensors; a golden that records one cannot be checked against it.
        using var dir = new TempDirectory();
        string path = dir.File("golden.safetensors");
        WriteAlteredGolden(path, null, null);
        using var bundle = Bundle.Open(GoldenSets.Bundle("tiny"));
        using var golden = SafetensorsFile.Open(path);
        var e = Assert.Throws<SafetensorsFormatException>(() => GoldenVerifier.CreateDefault().Verify(bundle, golden, backends.Get("cpu")));
        Assert.Contains("has no codec_encoder.safetensors", e.Message);
    }
}
