using BenchmarkDotNet.Attributes;
using V2Meow.Runtime.Backends;

namespace V2Meow.Bench;

/// <summary>
/// GEMV, the decode bottleneck: y[1, Out] = x[1, In] · W[Out, In]ᵀ at paper width (d 1024, d_ff 4096, and
/// the stage-3 head, 12 289 ids). Bandwidth-bound: the throughput column is the weight bytes streamed per
/// second, to compare with the memory bandwidth. (Batch 8 is <see cref="GemmBenchmarks"/>' 8-row case.)
/// </summary>
public class GemvBenchmarks : IDescribedWork
{
    IComputeBackend _backend = null!;
    WeightFile _file = null!;
    WeightTensor _w = null!;
    DeviceTensor _x = null!, _y = null!;

    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";
    public static IEnumerable<string> Devices => BenchDevices.Present;

    /// <summary>(in, out): the q/k/v/o and ffn-down shape, ffn-up, and the stage-3 head.</summary>
    [Params("1024x1024", "1024x4096", "4096x1024", "1024x12289")]
    public string Shape { get; set; } = "1024x4096";

    /// <summary>The bundle dtype the weights are stored in (the bench bundles are f16).</summary>
    [Params("f16")]
    public string DType { get; set; } = "f16";

    (int In, int Out) Dims => (int.Parse(Shape.Split('x')[0]), int.Parse(Shape.Split('x')[1]));

    [GlobalSetup]
    public void Setup()
    {
        var (k, n) = Dims;
        _backend = BenchDevices.Open(Device);
        _file = new WeightFile(n, k, DType);
        _w = _file.Upload(_backend);
        _x = _backend.Upload(RandomValues.Uniform(k), 1, k);
        _y = _backend.Allocate(1, n);
    }

    [Benchmark]
    public void Gemv()
    {
        _backend.MatMul(_x, _w, _y);
        _backend.Synchronize();
    }

    public Work Describe(string method)
    {
        var (k, n) = Dims;
        // The element size as the backend keeps it: every backend keeps 16-bit weights 16-bit and widens them
        // in registers (this counted 4 bytes on the CPU from when that backend widened them at load).
        int bytes = DType == "f32" ? 4 : 2;
        return new Work((double)k * n * bytes, Work.Unit.Bytes);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _x.Dispose(); _y.Dispose(); _w.Dispose(); _file.Dispose();
        _backend.Dispose();
    }
}
