using ILGPU;
using ILGPU.Runtime;
using V2Meow.Numerics;

namespace V2Meow.Kernels;

/// <summary>Where a kernel reads weights from: f32 as stored, or 16-bit widened to f32 on load.</summary>
public interface IWeightSource
{
    /// <summary>Element <paramref name="index"/> of the weights, as f32.</summary>
    float Load(int index);
}

/// <summary>f32 weights read as stored.</summary>
public readonly struct Float32Weights : IWeightSource
{
    readonly ArrayView<float> _values;
    /// <summary>Weights in <paramref name="values"/>.</summary>
    public Float32Weights(ArrayView<float> values) => _values = values;
    /// <summary>values[index].</summary>
    public float Load(int index) => _values[index];
}

/// <summary>f16 or bf16 weights kept 16-bit in device memory (<see cref="WeightFormat"/>).</summary>
public readonly struct PackedWeights : IWeightSource
{
    readonly ArrayView<ushort> _bits;
    readonly int _format;
    /// <summary>16-bit weights in <paramref name="bits"/>; <paramref name="format"/> is a <see cref="WeightFormat"/> as an int.</summary>
    public PackedWeights(ArrayView<ushort> bits, int format)
    {
        _bits = bits;
        _format = format;
    }
    /// <summary>bits[index] widened to f32.</summary>
    public float Load(int index) => WeightFormats.Widen(_bits[index], _format);
}

/// <summary>
/// y[M, N] = x[M, K] · w[N, K]ᵀ. Tiled GEMM for prefill; GEMV for decode (M = 1), where one group per
/// output element makes a single coalesced pass over that weight row — decode is bandwidth-bound.
/// Each comes for f32 weights and for 16-bit weights (<see cref="WeightFormat"/>) widened in registers.
/// </summary>
public static class GemmKernels
{
    /// <summary>Tiled GEMM with f32 weights.</summary>
    [Kernel(KernelGrouping.Explicit)]
    public static void Tiled(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int m, int k, int n) =>
        TiledCore(x, new Float32Weights(w), y, m, k, n);

    /// <summary>Tiled GEMM with 16-bit weights (<paramref name="format"/> a <see cref="WeightFormat"/>).</summary>
    [Kernel(KernelGrouping.Explicit)]
    public static void Tiled16(ArrayView<float> x, ArrayView<ushort> w, int format, ArrayView<float> y, int m, int k, int n) =>
        TiledCore(x, new PackedWeights(w, format), y, m, k, n);

    /// <summary>
    /// One thread per output element, no shared memory and no barriers: the path for ILGPU's CPU
    /// accelerator, where a group barrier costs tens of microseconds and the tiled kernel would spend its
    /// time synchronising.
    /// </summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void Rowwise(Index1D i, ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int k, int n) =>
        RowwiseCore(i, x, new Float32Weights(w), y, k, n);

    /// <summary>As <see cref="Rowwise"/>, with 16-bit weights.</summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void Rowwise16(Index1D i, ArrayView<float> x, ArrayView<ushort> w, int format, ArrayView<float> y, int k, int n) =>
        RowwiseCore(i, x, new PackedWeights(w, format), y, k, n);

    /// <summary>GEMV with f32 weights, one group per output element, reducing in shared memory.</summary>
    [Kernel(KernelGrouping.Explicit)]
    public static void GemvShared(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int m, int k, int n) =>
        GemvCore<Float32Weights, SharedMemoryReduction>(x, new Float32Weights(w), y, k, n);

    /// <summary>As <see cref="GemvShared"/>, reducing with warp shuffles (CUDA).</summary>
    [Kernel(KernelGrouping.Explicit, NeedsWarpShuffles = true)]
    public static void GemvShuffle(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int m, int k, int n) =>
        GemvCore<Float32Weights, WarpShuffleReduction>(x, new Float32Weights(w), y, k, n);

    /// <summary>As <see cref="GemvShared"/>, with 16-bit weights.</summary>
    [Kernel(KernelGrouping.Explicit)]
    public static void Gemv16Shared(ArrayView<float> x, ArrayView<ushort> w, int format, ArrayView<float> y, int m, int k, int n) =>
        GemvCore<PackedWeights, SharedMemoryReduction>(x, new PackedWeights(w, format), y, k, n);

    /// <summary>As <see cref="GemvShuffle"/>, with 16-bit weights.</summary>
    [Kernel(KernelGrouping.Explicit, NeedsWarpShuffles = true)]
    public static void Gemv16Shuffle(ArrayView<float> x, ArrayView<ushort> w, int format, ArrayView<float> y, int m, int k, int n) =>
        GemvCore<PackedWeights, WarpShuffleReduction>(x, new PackedWeights(w, format), y, k, n);

    /// <summary>
    /// Square tiles of Group.DimX × Group.DimX threads; dynamic shared memory holds one x tile and one
    /// w tile (2 · tile² floats). Thread (tx, ty) computes y[row, col].
    /// </summary>
    static void TiledCore<TWeights>(ArrayView<float> x, TWeights w, ArrayView<float> y, int m, int k, int n)
        where TWeights : struct, IWeightSource
    {
        int tile = Group.DimX;
        var shared = SharedMemory.GetDynamic<float>();
        int tx = Group.IdxX, ty = Group.IdxY;
        int row = Grid.IdxY * tile + ty;
        int col = Grid.IdxX * tile + tx;
        int wRow = Grid.IdxX * tile + ty;
        int wOffset = tile * tile;
        float acc = 0f;
        for (int t0 = 0; t0 < k; t0 += tile)
        {
            int kk = t0 + tx;
            shared[ty * tile + tx] = row < m && kk < k ? x[row * k + kk] : 0f;
            shared[wOffset + ty * tile + tx] = wRow < n && kk < k ? w.Load(wRow * k + kk) : 0f;
            Group.Barrier();
            for (int i = 0; i < tile; i++)
                acc += shared[ty * tile + i] * shared[wOffset + tx * tile + i];
            Group.Barrier();
        }
        if (row < m && col < n) y[row * n + col] = acc;
    }

    static void RowwiseCore<TWeights>(int i, ArrayView<float> x, TWeights w, ArrayView<float> y, int k, int n)
        where TWeights : struct, IWeightSource
    {
        int row = i / n, col = i - row * n;
        float acc = 0f;
        for (int t = 0; t < k; t++) acc += x[row * k + t] * w.Load(col * k + t);
        y[i] = acc;
    }

    /// <summary>One group per (row, col); threads stride over K, then a group sum.</summary>
    static void GemvCore<TWeights, TReduction>(ArrayView<float> x, TWeights w, ArrayView<float> y, int k, int n)
        where TWeights : struct, IWeightSource
        where TReduction : struct, IGroupReduction
    {
        var scratch = SharedMemory.GetDynamic<float>();
        int col = Grid.IdxX, row = Grid.IdxY;
        float acc = 0f;
        for (int i = Group.IdxX; i < k; i += Group.DimX) acc += x[row * k + i] * w.Load(col * k + i);
        float total = default(TReduction).Sum(acc, scratch);
        if (Group.IdxX == 0) y[row * n + col] = total;
    }
}

/// <summary>Which GEMM kernel a launch takes.</summary>
public enum GemmPath
{
    /// <summary>One group per output element: decode (M = 1) on GPUs.</summary>
    Gemv,
    /// <summary>Shared-memory tiles: prefill on GPUs.</summary>
    Tiled,
    /// <summary>One thread per output element without barriers: every launch on the CPU emulator.</summary>
    Rowwise,
}

/// <summary>Loads the GEMM kernels once per accelerator and picks the path, tile and group sizes from its limits.</summary>
public sealed class Gemm
{
    readonly KernelGeometry _geometry;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> _tiled;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> _gemv;
    readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> _rowwise;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<ushort>, int, ArrayView<float>, int, int, int> _tiled16;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<ushort>, int, ArrayView<float>, int, int, int> _gemv16;
    readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<ushort>, int, ArrayView<float>, int, int> _rowwise16;

    /// <summary>
    /// Compiles every GEMM path for <paramref name="accelerator"/>; <paramref name="geometry"/> sets tile, group size and reduction.
    /// </summary>
    public Gemm(Accelerator accelerator, KernelGeometry geometry)
    {
        _geometry = geometry;
        _tiled = accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(GemmKernels.Tiled);
        _gemv = accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(
            geometry.UseWarpShuffles ? GemmKernels.GemvShuffle : GemmKernels.GemvShared);
        _rowwise = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(GemmKernels.Rowwise);
        _tiled16 = accelerator.LoadKernel<ArrayView<float>, ArrayView<ushort>, int, ArrayView<float>, int, int, int>(GemmKernels.Tiled16);
        _gemv16 = accelerator.LoadKernel<ArrayView<float>, ArrayView<ushort>, int, ArrayView<float>, int, int, int>(
            geometry.UseWarpShuffles ? GemmKernels.Gemv16Shuffle : GemmKernels.Gemv16Shared);
        _rowwise16 = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<ushort>, int, ArrayView<float>, int, int>(GemmKernels.Rowwise16);
    }

    /// <summary>Rows at or below this count take the GEMV path.</summary>
    public const int GemvMaxRows = 1;

    /// <summary>The path a launch of <paramref name="m"/> rows takes on this accelerator.</summary>
    public GemmPath PathFor(int m) => _geometry.IsEmulated ? GemmPath.Rowwise : m <= GemvMaxRows ? GemmPath.Gemv : GemmPath.Tiled;

    /// <summary>y[m, n] = x[m, k] · w[n, k]ᵀ on the path <see cref="PathFor"/> picks.</summary>
    public void Run(AcceleratorStream stream, ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int m, int k, int n) =>
        Run(PathFor(m), stream, x, w, y, m, k, n);

    /// <summary>As <see cref="Run(AcceleratorStream, ArrayView{float}, ArrayView{float}, ArrayView{float}, int, int, int)"/> with 16-bit weights.</summary>
    public void Run(AcceleratorStream stream, ArrayView<float> x, ArrayView<ushort> w, WeightFormat format, ArrayView<float> y, int m, int k, int n) =>
        Run(PathFor(m), stream, x, w, format, y, m, k, n);

    /// <summary>A launch on a given path, whatever this accelerator would pick (tests run every path).</summary>
    public void Run(GemmPath path, AcceleratorStream stream, ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int m, int k, int n)
    {
        switch (path)
        {
            case GemmPath.Gemv: _gemv(stream, GemvConfig(m, n), x, w, y, m, k, n); break;
            case GemmPath.Tiled: _tiled(stream, TiledConfig(m, n), x, w, y, m, k, n); break;
            default: _rowwise(stream, m * n, x, w, y, k, n); break;
        }
    }

    /// <summary>A launch with 16-bit weights on a given path, whatever this accelerator would pick.</summary>
    public void Run(GemmPath path, AcceleratorStream stream, ArrayView<float> x, ArrayView<ushort> w, WeightFormat format, ArrayView<float> y, int m, int k, int n)
    {
        switch (path)
        {
            case GemmPath.Gemv: _gemv16(stream, GemvConfig(m, n), x, w, (int)format, y, m, k, n); break;
            case GemmPath.Tiled: _tiled16(stream, TiledConfig(m, n), x, w, (int)format, y, m, k, n); break;
            default: _rowwise16(stream, m * n, x, w, (int)format, y, k, n); break;
        }
    }

    KernelConfig GemvConfig(int m, int n)
    {
        int group = _geometry.GroupSize;
        return new KernelConfig(new Index2D(n, m), new Index2D(group, 1), SharedMemoryConfig.RequestDynamic<float>(group));
    }

    KernelConfig TiledConfig(int m, int n)
    {
        int tile = _geometry.Tile;
        var grid = new Index2D((n + tile - 1) / tile, (m + tile - 1) / tile);
        return new KernelConfig(grid, new Index2D(tile, tile), SharedMemoryConfig.RequestDynamic<float>(2 * tile * tile));
    }
}
