using V2Meow.Benchmarking;
using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends.Cpu;
using V2Meow.Runtime.Families.V2Meow;
using V2Meow.Tests.Cli;

namespace V2Meow.Tests.Benchmarking;

public class SideBySideTests
{
    static string Examples => Path.Combine(GoldenSets.Root, "..", "..", "weights-spec", "examples");

    [Fact]
    public void WindowLengthsFollowSpecSection4()
    {
        // SPEC §4's worked paper defaults: decoders of 251, 2251 and 1801 positions, a 21-position stage-1 encoder.
        var config = BundleConfigReader.Load(Path.Combine(Examples, "paper.json"));
        Assert.Equal(251, WindowGeometry.DecoderLength(config, StageId.Stage1));
        Assert.Equal(2251, WindowGeometry.DecoderLength(config, StageId.Stage2));
        Assert.Equal(1801, WindowGeometry.DecoderLength(config, StageId.Stage3));
        Assert.Equal(21, WindowGeometry.EncoderPositions(config, StageId.Stage1));
    }

    [Fact]
    public void InterleavedStage2WindowIsWholeGroups()
    {
        // odd.json: 4 s of 25 Hz semantic tokens, each followed by 2 frames of 3 coarse levels.
        using var bundle = Bundle.Open(GoldenSets.Bundle("odd"));
        Assert.Equal(100 * 7, WindowGeometry.DecoderLength(bundle.Config, StageId.Stage2));
        using var backend = new CpuBackend(1);
        using var stage = SemanticToCoarseStage.Load(bundle, backend);
        Assert.Equal(stage.WindowLength, WindowGeometry.DecoderLength(bundle.Config, StageId.Stage2));
    }

    [Fact]
    public void FootprintCountsWeightsAsTheBackendKeepsThem()
    {
        using var bundle = Bundle.Open(GoldenSets.Bundle("tiny"));
        var t = bundle.Config.Stage1;
        var f32 = StageFootprint.Of(bundle, StageId.Stage1, 4);
        var f16 = StageFootprint.Of(bundle, StageId.Stage1, 2);
        long matrices = bundle.Component("stage1").Tensors.Where(e => e.Shape.Length == 2 && !e.Name.EndsWith("rel_bias.weight")).Sum(e => e.ElementCount);
        // Halving the matrix element size removes exactly two bytes per matrix element; vectors and bias tables stay f32.
        Assert.Equal(2 * matrices, f32.WeightBytes - f16.WeightBytes);
        Assert.True(f32.DecodeWeightBytesPerStep < f32.WeightBytes, "a decode step reads neither the encoder nor the cross K/V projections");
        Assert.Equal(2L * t.DecoderLayers * t.Inner * 4, f32.KvBytesPerPosition);
        Assert.Equal(2L * t.DecoderLayers * WindowGeometry.EncoderPositions(bundle.Config, StageId.Stage1) * t.Inner * 4, f32.CrossMemoryBytes);
        Assert.Equal(f32.KvBytesPerPosition * 16 * PagedKvCacheBlocks(f32.WindowTokens), f32.KvPoolBytes(1, f32.WindowTokens));
    }

    static long PagedKvCacheBlocks(int length) => (length + 15) / 16;

    [Theory]
    [InlineData(StageId.Stage1)]
    [InlineData(StageId.Stage2)]
    [InlineData(StageId.Stage3)]
    public void StageWorkloadRunsPrefillAndBatchedDecode(StageId stage)
    {
        using var bundle = Bundle.Open(GoldenSets.Bundle("tiny"));
        using var backend = new CpuBackend(2);
        using var workload = StageWorkload.Load(bundle, stage, backend);
        Assert.Equal(WindowGeometry.DecoderLength(bundle.Config, stage), workload.Prefill());
        Assert.Equal(5, workload.Prefill(5));
        Assert.Equal(3 * 4, workload.Decode(steps: 3, batch: 4));
    }

    [Fact]
    public void CodecWorkloadDecodesTheAskedSeconds()
    {
        using var bundle = Bundle.Open(GoldenSets.Bundle("tiny"));
        using var backend = new CpuBackend(2);
        using var codec = CodecWorkload.Load(bundle, backend, seconds: 0.5);
        int frames = (int)Math.Round(0.5 * bundle.Config.Rates.AcousticHz);
        Assert.Equal(frames, codec.Frames);
        Assert.Equal(frames * bundle.Config.Hop, codec.Decode());
    }

    [Fact]
    public void ParsesTheReferenceScriptsJson()
    {
        const string json = """
            {"engine": "pytorch 2.11.0 eager", "device": "NVIDIA H100", "threads": 16, "copy_bytes_per_s": 3.0e12,
             "stages": {"stage1": {"prefill_tokens": 251, "prefill_tokens_per_s": 1000.5, "decode_tokens": 64,
                                   "decode_tokens_per_s": 80.25, "decoder_weight_bytes_f32": 123}},
             "codec": {"audio_seconds": 2.0, "audio_seconds_per_s": 40.0}}
            """;
        var timings = ReferenceTimings.Parse(json);
        Assert.Equal("NVIDIA H100", timings.Device);
        Assert.Equal(80.25, timings.Stages["stage1"].DecodeTokensPerSecond);
        Assert.Equal(123, timings.Stages["stage1"].DecoderWeightBytes);
        Assert.Equal(40.0, timings.CodecAudioSecondsPerSecond);
    }

    [Fact]
    public void TableShowsRatioAndShareOfTheFloor()
    {
        var rows = new[]
        {
            new SideBySideRow("stage2", "decode b1 (64 tok)", "tok/s", 150, 50, 300),
            new SideBySideRow("stage2", "decode b8 (64 tok)", "tok/s", 900, null, 2000),
        };
        var report = new SideBySideReport(new Dictionary<string, string> { ["commit"] = "abc1234" }, rows, [], 8, 64, null, 25e9, 1024);
        string text = SideBySideTable.Format(report);
        Assert.Contains("% of floor", text);
        Assert.Contains("3.00×", text);   // 150 / 50
        Assert.Contains("50.0%", text);   // 150 / 300
        Assert.Contains("45.0%", text);   // 900 / 2000
        Assert.Contains("abc1234", text);
    }

    [Fact]
    public void TheFloorTakesTheBestOfTheCopiesAndTheReadSweeps()
    {
        var cpu = new FloorBandwidthSamples(20e9, 30e9);
        cpu.AddRead(26e9);   // beside a decode row
        cpu.AddRead(28e9);
        cpu.AddCopyAfter(25e9);
        Assert.Equal(30e9, cpu.Bandwidth);
        Assert.Equal(28e9, cpu.ReadAfter);
        Assert.Contains("30.0 GB/s (read only", cpu.ReadLine);
        Assert.Contains("28.0 during and after", cpu.ReadLine);
        Assert.Contains("25.0 GB/s (read + write; 20.0 before, 25.0 after", cpu.CopyLine(null));
        Assert.EndsWith("pytorch 18.0 GB/s", cpu.CopyLine(18e9));

        var laterBest = new FloorBandwidthSamples(20e9, 21e9);
        laterBest.AddRead(null);   // a sweep that did not run keeps what was there
        laterBest.AddRead(33e9);
        Assert.Equal(33e9, laterBest.Bandwidth);

        var gpu = new FloorBandwidthSamples(20e9, null); // a GPU: the device copies only
        gpu.AddRead(null);
        gpu.AddCopyAfter(25e9);
        Assert.Equal(25e9, gpu.Bandwidth);
        Assert.Null(gpu.ReadLine);
    }

    [Fact]
    public void ReadSweepOfTheCpuBackendGivesAPlausibleRate()
    {
        using var backend = new CpuBackend(2);
        double? read = ReadBandwidth.Measure(backend, bytes: 1 << 20, repeats: 1);
        // Any real memory system reads 1 MiB at between 100 MB/s and 10 TB/s.
        Assert.InRange(read!.Value, 1e8, 1e13);
    }

    [Fact]
    public void BenchRunsTheRuntimeSideOnABundleWithoutPython()
    {
        var (code, output, error) = CliRunner.Run("bench", "--bundle", GoldenSets.Bundle("tiny"), "--device", "cpu", "--no-pytorch",
            "--decode", "2", "--repeats", "1", "--codec-seconds", "0.2", "--python", "/nonexistent/python3");
        Assert.True(code == 0, error);
        Assert.Contains("stage3  decode b1 (2 tok)", output);
        Assert.Contains("codec", output);
    }

    [Fact]
    public void BenchWithoutPyTorchIsOneErrorLineAndExitTwo()
    {
        var (code, output, error) = CliRunner.Run("bench", "--bundle", GoldenSets.Bundle("tiny"), "--python", "/nonexistent/python3");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:"));
        Assert.Contains("install", line);
    }

    [Fact]
    public void BenchRejectsUnknownSizes()
    {
        var (code, _, error) = CliRunner.Run("bench", "--size", "huge");
        Assert.Equal(2, code);
        Assert.StartsWith("error: unknown size 'huge'", error);
    }
}
