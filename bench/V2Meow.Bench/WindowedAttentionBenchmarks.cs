using BenchmarkDotNet.Attributes;
using V2Meow.Runtime.Backends;

namespace V2Meow.Bench;

/// <summary>
/// The VMAs video encoder's attention (VMAS §6.2) at two sites of the paper's Hiera-Base: <c>MaskUnit</c>, stage 1's
/// windows of 1 × 8 × 8 = 64 positions on a 56 × 56 grid, one head of 96 (4 grid frames of the paper's 48, 196
/// windows); <c>Global</c>, stage 3's whole 48 × 2 × 2 grid as one window of 192 rows, 4 heads of 96. Scores,
/// softmax and the weighted values: 4 · queries · keys · width floating-point operations, shown as GFLOP/s.
/// </summary>
public class WindowedAttentionBenchmarks : IDescribedWork
{
    public enum Site
    {
        MaskUnit,
        Global,
    }

    IComputeBackend _backend = null!;
    DeviceTensor _q = null!, _k = null!, _v = null!, _y = null!;

    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";
    public static IEnumerable<string> Devices => BenchDevices.Present;

    [Params(Site.MaskUnit, Site.Global)]
    public Site Where { get; set; } = Site.MaskUnit;

    (int Windows, int Window, int Heads, int HeadDim) Shape => Where == Site.MaskUnit ? (4 * 56 * 56 / 64, 64, 1, 96) : (1, 48 * 2 * 2, 4, 96);

    [GlobalSetup]
    public void Setup()
    {
        var (windows, window, heads, headDim) = Shape;
        int rows = windows * window, inner = heads * headDim;
        _backend = BenchDevices.Open(Device);
        _q = _backend.Upload(RandomValues.Uniform(rows * inner, 31), rows, inner);
        _k = _backend.Upload(RandomValues.Uniform(rows * inner, 32), rows, inner);
        _v = _backend.Upload(RandomValues.Uniform(rows * inner, 33), rows, inner);
        _y = _backend.Allocate(rows, inner);
    }

    [Benchmark]
    public void WindowedAttention()
    {
        var (_, window, heads, headDim) = Shape;
        _backend.WindowedAttention(_q, _k, _v, _y, new AttentionHeads(heads, headDim, 1f / MathF.Sqrt(headDim)), window, window);
        _backend.Synchronize();
    }

    public Work Describe(string method)
    {
        var (windows, window, heads, headDim) = Shape;
        return new(4.0 * windows * window * window * heads * headDim, Work.Unit.Flops);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _q.Dispose(); _k.Dispose(); _v.Dispose(); _y.Dispose();
        _backend.Dispose();
    }
}
