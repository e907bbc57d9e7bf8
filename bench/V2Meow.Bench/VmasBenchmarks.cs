using BenchmarkDotNet.Attributes;
using V2Meow.Benchmarking;
using V2Meow.Benchmarking.Vmas;
using V2Meow.Loaders.Bundles.Vmas;
using V2Meow.Runtime.Backends;

namespace V2Meow.Bench;

/// <summary>
/// VMAs' video encoder on one window of random frames of a vmas/1 bench bundle (default vmas-small: 16 frames
/// of 64 × 64), the work `v2meow bench` compares with PyTorch; frames/s in the throughput column.
/// </summary>
public class VmasEncoderBenchmarks : IDescribedWork
{
    IComputeBackend _backend = null!;
    VmasBundle _bundle = null!;
    VmasEncoderWorkload _workload = null!;

    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";
    public static IEnumerable<string> Devices => BenchDevices.Present;

    [ParamsSource(nameof(Bundles))]
    public string Bundle { get; set; } = "vmas-small";
    public static IEnumerable<string> Bundles => BenchBundle.VmasNames();

    [GlobalSetup]
    public void Setup()
    {
        _backend = BenchDevices.Open(Device);
        _bundle = BenchBundle.OpenVmas(Bundle);
        _workload = VmasEncoderWorkload.Load(_bundle, _backend);
    }

    [Benchmark]
    public int Encode() => _workload.Encode();

    public Work Describe(string method)
    {
        using var bundle = BenchBundle.OpenVmas(Bundle);
        int matrixBytes;
        using (var backend = BenchDevices.Open(Device)) matrixBytes = VmasFootprint.MatrixElementBytes(backend, bundle);
        return new Work(bundle.Config.WindowFrames, Work.Unit.Frames, VmasFootprint.Of(bundle, matrixBytes).EncoderWeightBytes);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _workload.Dispose();
        _bundle.Dispose();
        _backend.Dispose();
    }
}

/// <summary>
/// VMAs' music decoder on a vmas/1 bench bundle: the teacher-forced prefill of one window (P = Tw + K − 1
/// positions, memory projection included) and DecodeSteps steps from an empty cache at batch 1 and 8 (argmax,
/// fed back through the delay pattern), unguided and guided (each candidate's null twin in the batch, the bundle's
/// guidance). Tokens count K a position and candidate; the columns give the weights held and the KV pool the
/// operation needs.
/// </summary>
public class VmasDecoderBenchmarks : IDescribedWork
{
    IComputeBackend _backend = null!;
    VmasBundle _bundle = null!;
    VmasDecoderWorkload _workload = null!;

    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";
    public static IEnumerable<string> Devices => BenchDevices.Present;

    [ParamsSource(nameof(Bundles))]
    public string Bundle { get; set; } = "vmas-small";
    public static IEnumerable<string> Bundles => BenchBundle.VmasNames();

    [Params(32)]
    public int DecodeSteps { get; set; } = 32;

    [GlobalSetup]
    public void Setup()
    {
        _backend = BenchDevices.Open(Device);
        _bundle = BenchBundle.OpenVmas(Bundle);
        _workload = VmasDecoderWorkload.Load(_bundle, _backend);
    }

    [Benchmark]
    public int Prefill() => _workload.Prefill();

    [Benchmark]
    public int DecodeBatch1() => _workload.Decode(_workload.Steps(DecodeSteps), 1, guided: false);

    [Benchmark]
    public int DecodeBatch8() => _workload.Decode(_workload.Steps(DecodeSteps), 8, guided: false);

    [Benchmark]
    public int DecodeBatch1Guided() => _workload.Decode(_workload.Steps(DecodeSteps), 1, guided: true);

    [Benchmark]
    public int DecodeBatch8Guided() => _workload.Decode(_workload.Steps(DecodeSteps), 8, guided: true);

    public Work Describe(string method)
    {
        using var bundle = BenchBundle.OpenVmas(Bundle);
        int matrixBytes;
        using (var backend = BenchDevices.Open(Device)) matrixBytes = VmasFootprint.MatrixElementBytes(backend, bundle);
        var f = VmasFootprint.Of(bundle, matrixBytes);
        int steps = Math.Clamp(DecodeSteps, f.Codebooks, f.Positions);
        if (method == nameof(Prefill))
            return new Work((double)f.Positions * f.Codebooks, Work.Unit.Tokens, f.DecoderWeightBytes, f.KvPoolBytes(1, f.Positions));
        int batch = method.StartsWith(nameof(DecodeBatch8), StringComparison.Ordinal) ? 8 : 1;
        int rows = method.EndsWith("Guided", StringComparison.Ordinal) ? 2 * batch : batch; // a null twin per candidate
        return new Work((double)batch * steps * f.Codebooks, Work.Unit.Tokens, f.DecoderWeightBytes, f.KvPoolBytes(rows, steps));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _workload.Dispose();
        _bundle.Dispose();
        _backend.Dispose();
    }
}

/// <summary>The encodec-kind codec of a vmas/1 bench bundle on random codes of every level: samples/s in the throughput column.</summary>
public class VmasCodecBenchmarks : IDescribedWork
{
    IComputeBackend _backend = null!;
    VmasBundle _bundle = null!;
    CodecWorkload _workload = null!;

    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";
    public static IEnumerable<string> Devices => BenchDevices.Present;

    [ParamsSource(nameof(Bundles))]
    public string Bundle { get; set; } = "vmas-small";
    public static IEnumerable<string> Bundles => BenchBundle.VmasNames();

    [Params(2.0)]
    public double AudioSeconds { get; set; } = 2.0;

    [GlobalSetup]
    public void Setup()
    {
        _backend = BenchDevices.Open(Device);
        _bundle = BenchBundle.OpenVmas(Bundle);
        _workload = CodecWorkload.Load(_bundle, _backend, AudioSeconds);
    }

    [Benchmark]
    public int Decode() => _workload.Decode();

    public Work Describe(string method)
    {
        using var bundle = BenchBundle.OpenVmas(Bundle);
        var config = bundle.Config;
        int frames = Math.Max(1, (int)Math.Round(AudioSeconds * config.FrameRate));
        long weights = bundle.Component("codec").Tensors.Sum(t => t.ElementCount * sizeof(float));
        return new Work((double)frames * config.Hop, Work.Unit.Samples, weights);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _workload.Dispose();
        _bundle.Dispose();
        _backend.Dispose();
    }
}
