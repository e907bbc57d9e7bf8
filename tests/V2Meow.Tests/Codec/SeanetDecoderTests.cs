using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Codecs.Seanet;
using V2Meow.Runtime.Verification;
using V2Meow.Tests.Backends;

namespace V2Meow.Tests.Codec;

/// <summary>The decoder's contract beyond the goldens: fewer levels, bad codes, shapes, lifetime.</summary>
public class SeanetDecoderTests(BackendFixture backends) : IClassFixture<BackendFixture>
{
    public static TheoryData<string> Backends => BackendFixture.Names;

    static int[] GoldenCodes(string set, out int levels, out int frames)
    {
        using var golden = SafetensorsFile.Open(GoldenSets.Golden(set));
        var view = golden.Get("codec.input.codes");
        levels = (int)view.Shape[0];
        frames = (int)view.Shape[1];
        return view.ToInt32();
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void DescribesTheCodec(string backendName)
    {
        using var bundle = Bundle.Open(GoldenSets.Bundle("odd"));
        using var decoder = SeanetDecoder.Load(bundle, backends.Get(backendName));
        Assert.Equal(5, decoder.Levels);
        Assert.Equal(24, decoder.CodebookSize);
        Assert.Equal(15, decoder.Hop);
        Assert.Equal(bundle.Config.Rates.SampleRate, decoder.SampleRate);
        Assert.Equal(V2Meow.Runtime.Backends.ConvPadding.Centred, decoder.Padding);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void FewerLevelsDecodeFromTheirOwnSum(string backendName)
    {
        // odd has out_proj, so the latent is checked before it (rvq) through a kernel-1 conv; tiny has none,
        // so its latent is the plain sum of the first levels' codebook rows.
        using var bundle = Bundle.Open(GoldenSets.Bundle("tiny"));
        using var decoder = SeanetDecoder.Load(bundle, backends.Get(backendName));
        var all = GoldenCodes("tiny", out int q, out int frames);
        var books = bundle.Component("codec").Get("rvq.codebooks").ToFloat32();
        int k = decoder.CodebookSize, d = bundle.Config.Codec.CodebookDim;
        for (int levels = 1; levels < q; levels++)
        {
            var codes = all.AsSpan(0, levels * frames).ToArray(); // the first levels, row-major
            var trace = decoder.Trace(codes, levels);
            var latent = trace.Single(t => t.Name == "codec.latent");
            Assert.Equal(new[] { d, frames }, latent.Shape);
            var (expected, magnitude) = CodecReference.Rvq(books, k, d, codes, levels, frames);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(latent.Values[i] - expected[i]) <= 1e-6 * magnitude[i], $"{levels} levels, latent {i}");
            var waveform = decoder.Decode(codes, levels);
            Assert.Equal(frames * decoder.Hop, waveform.Length);
            Assert.All(waveform, s => Assert.InRange(s, -1f, 1f));
            Assert.Equal(trace.Single(t => t.Name == "codec.waveform").Values, waveform);
        }
    }

    [Fact]
    public void BackendsAgreeOnFewerLevelsWithOutProjAndCentredPadding()
    {
        using var bundle = Bundle.Open(GoldenSets.Bundle("odd"));
        using var cpu = SeanetDecoder.Load(bundle, backends.Get("cpu"));
        using var emulated = SeanetDecoder.Load(bundle, backends.Get("ilgpu-cpu"));
        var all = GoldenCodes("odd", out _, out int frames);
        var codes = all.AsSpan(0, 2 * frames).ToArray();
        var a = cpu.Decode(codes, 2);
        var b = emulated.Decode(codes, 2);
        // Two f32 computations in different orders; the golden bound (1e-4 of the largest sample) applies.
        var check = TensorComparison.Floats("codec.waveform", $"[{a.Length}]", a, b, 1e-4);
        Assert.True(check.RelativeError < 1e-4, check.ToString());
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void TwoDimensionalCodesDecodeAsRowMajor(string backendName)
    {
        using var bundle = Bundle.Open(GoldenSets.Bundle("enc_dec"));
        using var decoder = SeanetDecoder.Load(bundle, backends.Get(backendName));
        var flat = GoldenCodes("enc_dec", out int q, out int frames);
        var grid = new int[q, frames];
        for (int l = 0; l < q; l++)
            for (int t = 0; t < frames; t++)
                grid[l, t] = flat[l * frames + t];
        Assert.Equal(decoder.Decode(flat, q), decoder.Decode(grid));
        Assert.Empty(decoder.Decode(new int[q, 0]));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void BadCodesAreRejectedWithWhatWasExpected(string backendName)
    {
        using var bundle = Bundle.Open(GoldenSets.Bundle("tiny"));
        using var decoder = SeanetDecoder.Load(bundle, backends.Get(backendName));
        var codes = GoldenCodes("tiny", out int q, out int frames);

        var tooHigh = (int[])codes.Clone();
        tooHigh[2 * frames + 3] = 32;
        var e = Assert.Throws<ArgumentException>(() => decoder.Decode(tooHigh, q));
        Assert.Contains("level 2, frame 3: code 32 is outside [0, 32)", e.Message);

        var negative = (int[])codes.Clone();
        negative[5] = -7;
        e = Assert.Throws<ArgumentException>(() => decoder.Decode(negative, q));
        Assert.Contains("level 0, frame 5: code -7 is outside [0, 32)", e.Message);

        var extraLevel = codes.Concat(codes.Take(frames)).ToArray();
        e = Assert.Throws<ArgumentException>(() => decoder.Decode(extraLevel, q + 1));
        Assert.Contains("codes have 5 levels; this codec has 4 (expected 1 to 4)", e.Message);

        e = Assert.Throws<ArgumentException>(() => decoder.Decode(codes, 0));
        Assert.Contains("expected 1 to 4", e.Message);

        e = Assert.Throws<ArgumentException>(() => decoder.Decode(codes.AsSpan(0, codes.Length - 1), q));
        Assert.Contains("do not fill 4 levels", e.Message);

        // Trace checks the same way before it runs anything.
        Assert.Throws<ArgumentException>(() => decoder.Trace(tooHigh, q));
    }

    [Fact]
    public void ADisposedDecoderRefusesToDecode()
    {
        using var bundle = Bundle.Open(GoldenSets.Bundle("tiny"));
        var decoder = SeanetDecoder.Load(bundle, backends.Get("cpu"));
        decoder.Dispose();
        decoder.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => decoder.Decode(new int[4], 4));
    }
}
