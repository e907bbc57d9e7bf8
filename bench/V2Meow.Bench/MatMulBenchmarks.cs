using BenchmarkDotNet.Attributes;
using V2Meow.Runtime.Backends;

namespace V2Meow.Bench;

/// <summary>
/// GEMV (decode, M = 1) and GEMM (prefill) at paper width (d 1024, ff 4096) on the backends this machine
/// has. ILGPU's CPU accelerator is an emulator and is left out: its timings say nothing about a GPU.
/// </summary>
[MemoryDiagnoser]
public class MatMulBenchmarks
{
    IComputeBackend _backend = null!;
    DeviceTensor _x = null!, _w = null!, _y = null!;

    [Params("cpu", "auto")]
    public string Device { get; set; } = "cpu";

    [Params(1, 64)]
    public int Rows { get; set; }

    [Params(1024)]
    public int In { get; set; }

    [Params(4096)]
    public int Out { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _backend = DeviceCatalog.Open(DeviceKinds.Parse(Device));
        var random = new Random(1);
        float[] Fill(int n) => Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        _x = _backend.Upload(Fill(Rows * In), Rows, In);
        _w = _backend.Upload(Fill(Out * In), Out, In);
        _y = _backend.Allocate(Rows, Out);
    }

    [Benchmark]
    public void MatMul()
    {
        _backend.MatMul(_x, _w, _y);
        _backend.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _x.Dispose(); _w.Dispose(); _y.Dispose();
        _backend.Dispose();
    }
}
