using BenchmarkDotNet.Attributes;
using V2Meow.Runtime.Backends;

namespace V2Meow.Bench;

/// <summary>
/// The VMAs video encoder's patch embedding (VMAS §6.2): Conv3d of [3, Frames, 224, 224] with the paper's kernel
/// 3 × 7 × 7, stride 2 × 4 × 4, padding 1 × 3 × 3 into 96 channels, written as rows [T'·56·56, 96]. 16 frames are a
/// sixth of the paper's 10 s window (96 frames at 9.6 fps), small enough for a quick run; the work scales with the
/// frames. Compute-bound: GFLOP/s.
/// </summary>
public class Conv3dBenchmarks : IDescribedWork
{
    const int InChannels = 3, OutChannels = 96, Size = 224, Kt = 3, Kh = 7, Kw = 7;
    static readonly (int T, int H, int W) Stride = (2, 4, 4);
    static readonly (int T, int H, int W) Padding = (1, 3, 3);

    IComputeBackend _backend = null!;
    DeviceTensor _x = null!, _w = null!, _b = null!, _y = null!;

    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";
    public static IEnumerable<string> Devices => BenchDevices.Present;

    [Params(16)]
    public int Frames { get; set; } = 16;

    int Rows => ((Frames + 2 * Padding.T - Kt) / Stride.T + 1) * ((Size + 2 * Padding.H - Kh) / Stride.H + 1) * ((Size + 2 * Padding.W - Kw) / Stride.W + 1);

    [GlobalSetup]
    public void Setup()
    {
        _backend = BenchDevices.Open(Device);
        _x = _backend.Upload(RandomValues.Uniform(InChannels * Frames * Size * Size, 21), InChannels, Frames, Size, Size);
        _w = _backend.Upload(RandomValues.Uniform(OutChannels * InChannels * Kt * Kh * Kw, 22), OutChannels, InChannels, Kt, Kh, Kw);
        _b = _backend.Upload(RandomValues.Uniform(OutChannels, 23), OutChannels);
        _y = _backend.Allocate(Rows, OutChannels);
    }

    [Benchmark]
    public void Conv3dPatches()
    {
        _backend.Conv3dPatches(_x, _w, _b, Stride, Padding, _y);
        _backend.Synchronize();
    }

    public Work Describe(string method) => new(2.0 * Rows * OutChannels * InChannels * Kt * Kh * Kw, Work.Unit.Flops);

    [GlobalCleanup]
    public void Cleanup()
    {
        _x.Dispose(); _w.Dispose(); _b.Dispose(); _y.Dispose();
        _backend.Dispose();
    }
}
