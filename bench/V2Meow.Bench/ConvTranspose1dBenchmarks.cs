using BenchmarkDotNet.Attributes;
using V2Meow.Runtime.Backends;

namespace V2Meow.Bench;

/// <summary>
/// The codec's upsampling: transposed conv1d [In, T] → [Out, T · Stride], kernel 2 · Stride, causal, at the
/// paper codec's first two blocks (512 → 256 by 8 from 50 Hz; 256 → 128 by 5 from 400 Hz), 2 s of audio.
/// Compute-bound: GFLOP/s (each input frame meets every tap of every output channel).
/// </summary>
public class ConvTranspose1dBenchmarks : IDescribedWork
{
    IComputeBackend _backend = null!;
    DeviceTensor _x = null!, _w = null!, _b = null!, _y = null!;

    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";
    public static IEnumerable<string> Devices => BenchDevices.Present;

    /// <summary>in channels × out channels / stride @ input frames.</summary>
    [Params("512x256/8@100", "256x128/5@800")]
    public string Block { get; set; } = "512x256/8@100";

    (int In, int Out, int Stride, int Frames) Dims
    {
        get
        {
            var parts = Block.Split('x', '/', '@').Select(int.Parse).ToArray();
            return (parts[0], parts[1], parts[2], parts[3]);
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        var (ci, co, s, t) = Dims;
        _backend = BenchDevices.Open(Device);
        _x = _backend.Upload(RandomValues.Uniform(ci * t, 10), ci, t);
        _w = _backend.Upload(RandomValues.Uniform(ci * co * 2 * s, 11), ci, co, 2 * s);
        _b = _backend.Upload(RandomValues.Uniform(co, 12), co);
        _y = _backend.Allocate(co, t * s);
    }

    [Benchmark]
    public void ConvTranspose1d()
    {
        _backend.ConvTranspose1d(_x, _w, _b, _y, Dims.Stride, ConvPadding.Causal);
        _backend.Synchronize();
    }

    public Work Describe(string method)
    {
        var (ci, co, s, t) = Dims;
        return new Work(2.0 * ci * co * 2 * s * t, Work.Unit.Flops);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _x.Dispose(); _w.Dispose(); _b.Dispose(); _y.Dispose();
        _backend.Dispose();
    }
}
