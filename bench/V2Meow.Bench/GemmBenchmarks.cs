using BenchmarkDotNet.Attributes;
using V2Meow.Runtime.Backends;

namespace V2Meow.Bench;

/// <summary>
/// GEMM, the prefill workhorse: y[Rows, Out] = x[Rows, In] · W[Out, In]ᵀ at paper width, with Rows the
/// stage-1 window (251) and a batch-8 decode step (8). Compute-bound at prefill sizes: GFLOP/s.
/// </summary>
public class GemmBenchmarks : IDescribedWork
{
    IComputeBackend _backend = null!;
    WeightFile _file = null!;
    WeightTensor _w = null!;
    DeviceTensor _x = null!, _y = null!;

    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";
    public static IEnumerable<string> Devices => BenchDevices.Present;

    [Params(8, 251)]
    public int Rows { get; set; } = 251;

    /// <summary>(in, out): ffn-up and ffn-down.</summary>
    [Params("1024x4096", "4096x1024")]
    public string Shape { get; set; } = "1024x4096";

    (int In, int Out) Dims => (int.Parse(Shape.Split('x')[0]), int.Parse(Shape.Split('x')[1]));

    [GlobalSetup]
    public void Setup()
    {
        var (k, n) = Dims;
        _backend = BenchDevices.Open(Device);
        _file = new WeightFile(n, k, "f16");
        _w = _file.Upload(_backend);
        _x = _backend.Upload(RandomValues.Uniform(Rows * k), Rows, k);
        _y = _backend.Allocate(Rows, n);
    }

    [Benchmark]
    public void Gemm()
    {
        _backend.MatMul(_x, _w, _y);
        _backend.Synchronize();
    }

    public Work Describe(string method)
    {
        var (k, n) = Dims;
        return new Work(2.0 * Rows * k * n, Work.Unit.Flops);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _x.Dispose(); _y.Dispose(); _w.Dispose(); _file.Dispose();
        _backend.Dispose();
    }
}
