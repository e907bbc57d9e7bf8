using BenchmarkDotNet.Attributes;
using V2Meow.Runtime.Backends;

namespace V2Meow.Bench;

/// <summary>
/// One LSTM layer of the EnCodec-style codec decoder (VMAS §9) at EnCodec's width, 512 channels, over 150 frames
/// (2 s at 75 Hz, as <see cref="CodecBenchmarks"/> decodes). Sequential in time: each step is a [2048, 512]
/// matrix-vector product and the gate update, so the figure is latency-bound on GPUs. GFLOP/s of the recurrent product.
/// </summary>
public class LstmBenchmarks : IDescribedWork
{
    IComputeBackend _backend = null!;
    DeviceTensor _gates = null!, _w = null!, _b = null!, _y = null!;

    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";
    public static IEnumerable<string> Devices => BenchDevices.Present;

    [Params(512)]
    public int Channels { get; set; } = 512;

    [Params(150)]
    public int Frames { get; set; } = 150;

    [GlobalSetup]
    public void Setup()
    {
        _backend = BenchDevices.Open(Device);
        float scale = 1f / MathF.Sqrt(Channels);   // PyTorch's init range: gates that neither all saturate nor all vanish
        _gates = _backend.Upload(RandomValues.Uniform(4 * Channels * Frames, 41), 4 * Channels, Frames);
        _w = _backend.Upload(RandomValues.Uniform(4 * Channels * Channels, 42).Select(v => v * scale).ToArray(), 4 * Channels, Channels);
        _b = _backend.Upload(RandomValues.Uniform(4 * Channels, 43).Select(v => v * scale).ToArray(), 4 * Channels);
        _y = _backend.Allocate(Channels, Frames);
    }

    [Benchmark]
    public void Lstm()
    {
        _backend.Lstm(_gates, _w, _b, _y);
        _backend.Synchronize();
    }

    public Work Describe(string method) => new(2.0 * 4 * Channels * Channels * Frames, Work.Unit.Flops);

    [GlobalCleanup]
    public void Cleanup()
    {
        _gates.Dispose(); _w.Dispose(); _b.Dispose(); _y.Dispose();
        _backend.Dispose();
    }
}
