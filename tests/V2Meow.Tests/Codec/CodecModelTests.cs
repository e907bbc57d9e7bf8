using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Backends.Cpu;
using V2Meow.Runtime.Codecs;

namespace V2Meow.Tests.Codec;

/// <summary>
/// <see cref="CodecModel"/>, the codec as a library: samples → codes → samples, the padding to whole frames, chunked
/// encoding of long recordings, calls from several threads, cancellation; and the codes file it round-trips through.
/// </summary>
public class CodecModelTests
{
    static float[] Music(int samples, int seed)
    {
        // Two tones and a little noise, as a recording might be: in [−1, 1].
        var r = new Random(seed);
        return Enumerable.Range(0, samples).Select(i =>
            (float)(0.4 * Math.Sin(0.21 * i) + 0.2 * Math.Sin(0.047 * i + 1) + 0.05 * (r.NextDouble() - 0.5))).ToArray();
    }

    [Theory]
    [InlineData("codec_encoder")]
    [InlineData("codec_encoder_odd")]
    public async Task EncodeThenDecodeKeepsTheLengthAndUsesTheEncodersCodes(string set)
    {
        using var codec = CodecModel.Load(GoldenSets.Bundle(set), DeviceKind.Cpu);
        Assert.True(codec.CanEncode);
        var samples = Music(40 * codec.Hop + 5, 1);
        var encoded = await codec.EncodeAsync(samples, levels: 3);
        Assert.Equal((3, 41, samples.Length, codec.SampleRate, codec.Hop), (encoded.Codes.Levels, encoded.Codes.Frames, encoded.Samples, encoded.SampleRate, encoded.Hop));
        Assert.Equal(set, encoded.Bundle);

        // The same codes as the encoder gives the waveform zero-padded to whole frames.
        using var bundle = Bundle.Open(GoldenSets.Bundle(set));
        using var backend = new CpuBackend();
        using var encoder = CodecEncoders.Load(bundle, backend);
        var padded = samples.Concat(new float[41 * codec.Hop - samples.Length]).ToArray();
        Assert.Equal(encoder.Encode(padded, 3), encoded.Codes.Codes);

        var waveform = await codec.DecodeAsync(encoded);
        Assert.Equal(samples.Length, waveform.Length);
        var full = await codec.DecodeAsync(encoded.Codes);
        Assert.Equal(41 * codec.Hop, full.Length);
        Assert.Equal(full[..samples.Length], waveform);
    }

    [Fact]
    public void ChunkedEncodeGivesTheCodesOfOneEncode()
    {
        using var bundle = Bundle.Open(GoldenSets.Bundle("codec_encoder"));
        using var backend = new CpuBackend();
        using var encoder = CodecEncoders.Load(bundle, backend);
        var samples = Music(333 * encoder.Hop - 2, 5);
        int[] whole = encoder.Encode(samples, encoder.Levels);
        int[] chunked = ChunkedCodec.Encode(encoder, samples, encoder.Levels, chunkFrames: 100, CancellationToken.None);
        // Every frame sees the same samples either way, so the latents differ at most by float32 rounding where a
        // SIMD body/remainder split falls elsewhere; these codes have no near-tie that such rounding could tip.
        Assert.Equal(whole, chunked);
        Assert.True(encoder.ReceptiveFieldFrames < 100, $"the test wants chunks wider than the receptive field ({encoder.ReceptiveFieldFrames})");
    }

    [Fact]
    public async Task CallsFromSeveralThreadsQueueAndAgree()
    {
        using var codec = CodecModel.Load(GoldenSets.Bundle("codec_encoder"), DeviceKind.Cpu);
        var samples = Music(60 * codec.Hop, 2);
        var first = await codec.EncodeAsync(samples);
        var all = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => i % 2 == 0
            ? codec.EncodeAsync(samples).ContinueWith(t => t.Result.Codes.Codes, TaskScheduler.Default)
            : codec.DecodeAsync(first).ContinueWith(t => t.Result.Select(v => (int)(v * 1e6)).ToArray(), TaskScheduler.Default)));
        for (int i = 0; i < all.Length; i += 2) Assert.Equal(first.Codes.Codes, all[i]);
        for (int i = 3; i < all.Length; i += 2) Assert.Equal(all[1], all[i]);
    }

    [Fact]
    public async Task ACancelledCallThrowsAndTheModelStaysUsable()
    {
        using var codec = CodecModel.Load(GoldenSets.Bundle("codec_encoder"), DeviceKind.Cpu);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var samples = Music(10 * codec.Hop, 3);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => codec.EncodeAsync(samples, cancellationToken: cancelled.Token));
        Assert.Equal(10, (await codec.EncodeAsync(samples)).Codes.Frames);
    }

    [Fact]
    public async Task BadArgumentsAreNamed()
    {
        using var codec = CodecModel.Load(GoldenSets.Bundle("codec_encoder"), DeviceKind.Cpu);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => codec.EncodeAsync(new float[12], levels: 5));
        var wrongBook = new EncodedAudio(new AcousticCodes(1, 1, [0]), 6, codec.SampleRate, codec.Hop, 64, "x");
        var e = await Assert.ThrowsAsync<ArgumentException>(() => codec.DecodeAsync(wrongBook));
        Assert.Contains("codebook of 64", e.Message);
        e = await Assert.ThrowsAsync<ArgumentException>(() => codec.DecodeAsync(new AcousticCodes(1, 2, [0, 32])));
        Assert.Contains("frame 1: code 32 is outside [0, 32)", e.Message);

        using var tiny = CodecModel.Load(GoldenSets.Bundle("tiny"), DeviceKind.Cpu);
        Assert.False(tiny.CanEncode);
        var missing = await Assert.ThrowsAsync<BundleException>(() => tiny.EncodeAsync(new float[8]));
        Assert.Contains("has no codec encoder (codec_encoder.safetensors", missing.Message);
    }

    [Fact]
    public void TheCodesFileRoundTrips()
    {
        using var dir = new TempDirectory();
        var codes = new AcousticCodes(2, 3, [0, 5, 31, 7, 8, 9]);
        var audio = new EncodedAudio(codes, 17, 300, 6, 32, "codec_encoder");
        string path = dir.File("c.safetensors");
        CodesFile.Save(path, audio);
        var back = CodesFile.Load(path);
        Assert.Equal(audio with { Codes = back.Codes }, back);
        Assert.Equal(codes.Codes, back.Codes.Codes);
        Assert.Equal(["c.safetensors"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    public static TheoryData<string, string> MalformedCodes() => new()
    {
        { "format", "__metadata__ format: expected 'v2meow-codes/1'" },
        { "levels", "__metadata__ levels: missing" },
        { "samples", "__metadata__ samples: 19 samples are not 3 frames of 6" },
        { "hop", "__metadata__ hop: expected a whole number >= 1, found '-6'" },
        { "range", "tensor 'codes': level 1, frame 2: code 32 is outside [0, 32)" },
        { "shape", "tensor 'codes': shape [3, 2], but __metadata__ says 2 levels × 3 frames" },
        { "dtype", "tensor 'codes': expected I32 [levels, frames], found F32 [2, 3]" },
        { "extra", "tensor 'more': unexpected" },
    };

    [Theory]
    [MemberData(nameof(MalformedCodes))]
    public void AMalformedCodesFileIsRefusedNamingTheField(string fault, string expected)
    {
        using var dir = new TempDirectory();
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "v2meow-codes/1", ["sample_rate"] = "300", ["hop"] = "6", ["frames"] = "3", ["samples"] = "17",
            ["levels"] = "2", ["codebook_size"] = "32", ["bundle"] = "codec_encoder",
        };
        int[] codes = [0, 5, 31, 7, 8, 9];
        long[] shape = [2, 3];
        switch (fault)
        {
            case "format": metadata["format"] = "v2meow-golden/2"; break;
            case "levels": metadata.Remove("levels"); break;
            case "samples": metadata["samples"] = "19"; break;
            case "hop": metadata["hop"] = "-6"; break;
            case "range": codes[5] = 32; break;
            case "shape": shape = [3, 2]; break;
        }
        var writer = new SafetensorsWriter();
        foreach (var (k, v) in metadata) writer.AddMetadata(k, v);
        if (fault == "dtype") writer.AddFloat32("codes", shape, new float[6]);
        else writer.Add("codes", DType.I32, shape, (ReadOnlySpan<int>)codes);
        if (fault == "extra") writer.AddFloat32("more", [1], [0f]);
        string path = dir.File("c.safetensors");
        writer.Save(path);
        var e = Assert.Throws<SafetensorsFormatException>(() => CodesFile.Load(path));
        Assert.Equal($"{path}: {expected}", e.Message[..Math.Min(e.Message.Length, path.Length + 2 + expected.Length)]);
    }
}
