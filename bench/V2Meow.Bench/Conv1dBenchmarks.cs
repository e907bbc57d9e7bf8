using BenchmarkDotNet.Attributes;
using V2Meow.Runtime.Backends;

namespace V2Meow.Bench;

/// <summary>
/// The codec's residual-unit convolution: [Channels, Length] → [Channels, Length], kernel 7, causal, at
/// dilations 1 and 9 — the paper codec's 128-channel block runs at 4 kHz, so 8000 samples are 2 s of audio.
/// Compute-bound: GFLOP/s.
/// </summary>
public class Conv1dBenchmarks : IDescribedWork
{
    const int Kernel = 7;

    IComputeBackend _backend = null!;
    DeviceTensor _x = null!, _w = null!, _b = null!, _y = null!;

    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";
    public static IEnumerable<string> Devices => BenchDevices.Present;

    [Params(128)]
    public int Channels { get; set; } = 128;

    [Params(8000)]
    public int Length { get; set; } = 8000;

    [Params(1, 9)]
    public int Dilation { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        _backend = BenchDevices.Open(Device);
        _x = _backend.Upload(RandomValues.Uniform(Channels * Length, 7), Channels, Length);
        _w = _backend.Upload(RandomValues.Uniform(Channels * Channels * Kernel, 8), Channels, Channels, Kernel);
        _b = _backend.Upload(RandomValues.Uniform(Channels, 9), Channels);
        _y = _backend.Allocate(Channels, Length);
    }

    [Benchmark]
    public void Conv1d()
    {
        _backend.Conv1d(_x, _w, _b, _y, Dilation, ConvPadding.Causal);
        _backend.Synchronize();
    }

    public Work Describe(string method) => new(2.0 * Channels * Channels * Kernel * Length, Work.Unit.Flops);

    [GlobalCleanup]
    public void Cleanup()
    {
        _x.Dispose(); _w.Dispose(); _b.Dispose(); _y.Dispose();
        _backend.Dispose();
    }
}
