using BenchmarkDotNet.Attributes;
using V2Meow.Benchmarking;
using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;

namespace V2Meow.Bench;

/// <summary>
/// Each token stage of a bench bundle, the work `v2meow bench` compares with PyTorch: a teacher-forced
/// prefill of one window (encoder included), and decode of DecodeSteps tokens through the KV cache at
/// batch 1 and batch 8 (one shared one-token prompt, argmax). The columns give tokens/s, the weights the
/// stage holds on the backend and the KV pool the operation needs.
/// The runtime prefills every prompt as its own sequence, so there is no batched prefill to time.
/// </summary>
public class StageBenchmarks : IDescribedWork
{
    IComputeBackend _backend = null!;
    Bundle _bundle = null!;
    StageWorkload _workload = null!;

    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";
    public static IEnumerable<string> Devices => BenchDevices.Present;

    [ParamsSource(nameof(Bundles))]
    public string Bundle { get; set; } = "small";
    public static IEnumerable<string> Bundles => BenchBundle.Names();

    [Params(StageId.Stage1, StageId.Stage2, StageId.Stage3)]
    public StageId Stage { get; set; } = StageId.Stage1;

    [Params(32)]
    public int DecodeSteps { get; set; } = 32;

    [GlobalSetup]
    public void Setup()
    {
        _backend = BenchDevices.Open(Device);
        _bundle = BenchBundle.Open(Bundle);
        _workload = StageWorkload.Load(_bundle, Stage, _backend);
    }

    [Benchmark]
    public int Prefill() => _workload.Prefill();

    [Benchmark]
    public int DecodeBatch1() => _workload.Decode(Steps, 1);

    [Benchmark]
    public int DecodeBatch8() => _workload.Decode(Steps, 8);

    int Steps => Math.Min(DecodeSteps, _workload.WindowTokens);

    public Work Describe(string method)
    {
        using var bundle = BenchBundle.Open(Bundle);
        int matrixBytes;
        using (var backend = BenchDevices.Open(Device)) matrixBytes = StageFootprint.MatrixElementBytes(backend, bundle);
        var footprint = StageFootprint.Of(bundle, Stage, matrixBytes);
        int steps = Math.Min(DecodeSteps, footprint.WindowTokens);
        return method switch
        {
            nameof(Prefill) => new Work(footprint.WindowTokens, Work.Unit.Tokens, footprint.WeightBytes, footprint.KvPoolBytes(1, footprint.WindowTokens)),
            nameof(DecodeBatch1) => new Work(steps, Work.Unit.Tokens, footprint.WeightBytes, footprint.KvPoolBytes(1, steps)),
            _ => new Work(8.0 * steps, Work.Unit.Tokens, footprint.WeightBytes, footprint.KvPoolBytes(8, steps)),
        };
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _workload.Dispose();
        _bundle.Dispose();
        _backend.Dispose();
    }
}
