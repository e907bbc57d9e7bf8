using BenchmarkDotNet.Attributes;
using V2Meow.Benchmarking;
using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;

namespace V2Meow.Bench;

/// <summary>
/// The codec of a bench bundle: RVQ lookup and the SoundStream decoder on random codes of every level,
/// in seconds of audio per second (the throughput column), weights as the decoder keeps them (f32).
/// </summary>
public class CodecBenchmarks : IDescribedWork
{
    IComputeBackend _backend = null!;
    Bundle _bundle = null!;
    CodecWorkload _workload = null!;

    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";
    public static IEnumerable<string> Devices => BenchDevices.Present;

    [ParamsSource(nameof(Bundles))]
    public string Bundle { get; set; } = "small";
    public static IEnumerable<string> Bundles => BenchBundle.Names();

    [Params(2.0)]
    public double AudioSeconds { get; set; } = 2.0;

    [GlobalSetup]
    public void Setup()
    {
        _backend = BenchDevices.Open(Device);
        _bundle = BenchBundle.Open(Bundle);
        _workload = CodecWorkload.Load(_bundle, _backend, AudioSeconds);
    }

    [Benchmark]
    public int Decode() => _workload.Decode();

    public Work Describe(string method)
    {
        using var bundle = BenchBundle.Open(Bundle);
        long weights = bundle.Component("codec").Tensors.Sum(t => t.ElementCount * sizeof(float));
        return new Work(AudioSeconds, Work.Unit.AudioSeconds, weights);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _workload.Dispose();
        _bundle.Dispose();
        _backend.Dispose();
    }
}
