using V2Meow.Benchmarking;
using V2Meow.Benchmarking.Vmas;
using V2Meow.Loaders.Bundles.Vmas;
using V2Meow.Runtime.Backends.Cpu;
using V2Meow.Tests.Cli;

namespace V2Meow.Tests.Benchmarking;

/// <summary>The vmas/1 side-by-side on the committed vmas-tiny bundle: workloads, footprint, the reference's JSON, the table, the CLI.</summary>
public class VmasSideBySideTests
{
    [Fact]
    public void FootprintCountsWhatTheDecoderKeepsAndReads()
    {
        using var bundle = VmasBundle.Open(GoldenSets.Bundle("vmas-tiny"));
        var c = bundle.Config;
        var t = c.Decoder.Transformer;
        var f32 = VmasFootprint.Of(bundle, 4);
        var f16 = VmasFootprint.Of(bundle, 2);
        // VMAS.md §11: Tw = 20, K = 2, so P = 21 positions; T' = 3 memory rows.
        Assert.Equal(21, f32.Positions);
        Assert.Equal(2, f32.Codebooks);
        Assert.Equal(2L * t.DecoderLayers * t.Inner * 4, f32.KvBytesPerPosition);
        Assert.Equal(2L * t.DecoderLayers * 3 * t.Inner * 4, f32.CrossMemoryBytes);

        // Only the layers' matrices follow the backend's element size; embeddings and heads are f32 tables.
        long layerMatrices = bundle.Component("music_decoder").Tensors
            .Where(e => e.Shape.Length == 2 && e.Name.StartsWith("decoder.layers.", StringComparison.Ordinal)).Sum(e => e.ElementCount);
        Assert.Equal(2 * layerMatrices, f32.DecoderWeightBytes - f16.DecoderWeightBytes);
        long crossKv = bundle.Component("music_decoder").Tensors
            .Where(e => e.Name.Contains(".cross_attn.k.") || e.Name.Contains(".cross_attn.v.")).Sum(e => e.ElementCount);
        Assert.Equal(2 * (layerMatrices - crossKv), f32.DecodeWeightBytesPerStep - f16.DecodeWeightBytesPerStep);
        // A step reads the K heads whole, one embedding row per codebook and one position row, never the cross K/V projections.
        long heads = 4L * c.Decoder.Codebooks * c.Decoder.CodebookSize * t.DModel;
        Assert.InRange(f32.DecodeWeightBytesPerStep, heads, f32.DecoderWeightBytes - 4L * crossKv);

        // Per row: its memory and, on average over a decode from an empty cache, (steps + 1) / 2 cached positions.
        Assert.Equal(f32.DecodeWeightBytesPerStep + 2 * (f32.CrossMemoryBytes + f32.KvBytesPerPosition * 4.5), f32.DecodeBytesPerStep(8, 2));
        Assert.Equal(f32.KvBytesPerPosition * 16 * 2, f32.KvPoolBytes(1, 21)); // 21 positions: two blocks of 16
        Assert.Equal(bundle.Component("codec").Tensors.Sum(e => e.ElementCount * 4), f32.CodecWeightBytes);
    }

    [Fact]
    public void WorkloadsRunTheEncoderThePrefillAndGuidedBatchedDecode()
    {
        using var bundle = VmasBundle.Open(GoldenSets.Bundle("vmas-tiny"));
        using var backend = new CpuBackend(2);
        using (var encoder = VmasEncoderWorkload.Load(bundle, backend))
            Assert.Equal(5, encoder.Encode()); // F = 1 s at 5 fps

        using var decoder = VmasDecoderWorkload.Load(bundle, backend);
        Assert.Equal(21, decoder.Positions);
        Assert.Equal(3.0, decoder.Guidance); // the bundle's
        Assert.Equal(21, decoder.Prefill());
        Assert.Equal(5, decoder.Prefill(5));
        Assert.Equal(2, decoder.Steps(1));   // at least one frame: K steps
        Assert.Equal(21, decoder.Steps(99)); // at most one window
        Assert.Equal(3 * 2 * 4, decoder.Decode(steps: 3, batch: 4, guided: false));
        Assert.Equal(3 * 2 * 4, decoder.Decode(steps: 3, batch: 4, guided: true));
        Assert.Equal(21 * 2, decoder.Decode(steps: 21, batch: 1, guided: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Decode(steps: 22, batch: 1, guided: false));

        using var codec = CodecWorkload.Load(bundle, backend, seconds: 0.5);
        Assert.Equal(10, codec.Frames); // 0.5 s at 20 frames/s
        Assert.Equal(10 * 12, codec.Samples);
        Assert.Equal(codec.Samples, codec.Decode());
    }

    [Fact]
    public void ParsesTheVmasReferenceScriptsJson()
    {
        const string json = """
            {"engine": "pytorch 2.11.0 eager", "device": "NVIDIA H100", "threads": 16, "copy_bytes_per_s": 3.0e12, "guidance": 3.0,
             "encoder": {"frames": 16, "frames_per_s": 250.5, "weight_bytes_f32": 11},
             "decoder": {"positions": 203, "prefill_positions": 203, "weight_bytes_f32": 22, "prefill_positions_per_s": 100.0,
                         "prefill_tokens_per_s": 400.0,
                         "decode_b1": {"steps": 64, "batch": 1, "guided": false, "tokens_per_s": 80.25},
                         "decode_b8_guided": {"steps": 64, "batch": 8, "guided": true, "tokens_per_s": 320.5},
                         "decode_steps": 64},
             "codec": {"frames": 100, "samples": 32000, "samples_per_s": 64000.0, "weight_bytes_f32": 33}}
            """;
        var timings = VmasReferenceTimings.Parse(json);
        Assert.Equal("NVIDIA H100", timings.Device);
        Assert.Equal(250.5, timings.EncoderFramesPerSecond);
        Assert.Equal(400.0, timings.PrefillTokensPerSecond);
        Assert.Equal(80.25, timings.DecodeTokensPerSecond[VmasReferenceTimings.DecodeKey(1, guided: false)]);
        Assert.Equal(320.5, timings.DecodeTokensPerSecond[VmasReferenceTimings.DecodeKey(8, guided: true)]);
        Assert.Equal(2, timings.DecodeTokensPerSecond.Count);
        Assert.Equal(64000.0, timings.CodecSamplesPerSecond);
        Assert.Equal((11, 22, 33), (timings.EncoderWeightBytes, timings.DecoderWeightBytes, timings.CodecWeightBytes));
    }

    [Fact]
    public void TableShowsUnitsRatiosFloorsAndTheMemoryOfEachComponent()
    {
        var rows = new[]
        {
            new SideBySideRow("encoder", "encode b1 (16 frames)", "frames/s", 100, 20, null),
            new SideBySideRow("decoder", "decode b8 guided (64 steps)", "tok/s", 900, 300, 2000),
            new SideBySideRow("codec", "decode (2 s audio)", "samples/s", 64000, 16000, null),
        };
        var footprint = new VmasFootprint(203, 4, 1 << 20, 2 << 20, 3 << 20, 1 << 20, 1024, 4096);
        var report = new VmasSideBySideReport(new Dictionary<string, string> { ["commit"] = "abc1234" }, rows, footprint, 8, 64, 3.0, null, 25e9);
        string text = report.Format();
        Assert.Contains("encode b1 (16 frames) [frames/s]", text);
        Assert.Contains("decode b8 guided (64 steps) ", text); // tokens are the table's default unit
        Assert.Contains("[samples/s]", text);
        Assert.Contains("5.00×", text);   // 100 / 20
        Assert.Contains("3.00×", text);   // 900 / 300
        Assert.Contains("45.0%", text);   // 900 / 2000
        Assert.Contains("KV pool, b8 guided", text);
        Assert.Contains("K = 4 codebook tokens", text);
        Assert.Contains("guidance 3", text);
        Assert.Contains("abc1234", text);
    }

    [Fact]
    public void BenchSizesNameBothFamilies()
    {
        Assert.Contains("vmas-small", BenchBundles.Sizes);
        Assert.True(BenchBundles.IsVmas("vmas-tiny"));
        Assert.False(BenchBundles.IsVmas("small"));
    }

    [Fact]
    public void BenchRunsTheRuntimeSideOfAVmasBundleWithoutPython()
    {
        var (code, output, error) = CliRunner.Run("bench", "--bundle", GoldenSets.Bundle("vmas-tiny"), "--device", "cpu", "--no-pytorch",
            "--decode", "3", "--batch", "2", "--repeats", "1", "--codec-seconds", "0.2", "--python", "/nonexistent/python3");
        Assert.True(code == 0, error);
        Assert.Contains("encoder  encode b1 (5 frames) [frames/s]", output);
        Assert.Contains("decoder  prefill b1 (21 pos)", output);
        Assert.Contains("decoder  decode b2 guided (3 steps)", output);
        Assert.Contains("codec    decode (0.2 s audio) [samples/s]", output);
        Assert.Contains("bundle:   vmas-tiny (float32)", output);
        Assert.Contains("pytorch:  not run", output);
    }
}
