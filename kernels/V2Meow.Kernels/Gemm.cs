using ILGPU;
using ILGPU.Runtime;

namespace V2Meow.Kernels;

/// <summary>
/// y[M, N] = x[M, K] · w[N, K]ᵀ. Tiled GEMM for prefill; GEMV for decode (M = 1), where one group per
/// output element makes a single coalesced pass over that weight row — decode is bandwidth-bound.
/// </summary>
public static class GemmKernels
{
    /// <summary>
    /// Square tiles of Group.DimX × Group.DimX threads; dynamic shared memory holds one x tile and one
    /// w tile (2 · tile² floats). Thread (tx, ty) computes y[row, col].
    /// </summary>
    [Kernel(KernelGrouping.Explicit)]
    public static void Tiled(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int m, int k, int n)
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
            shared[wOffset + ty * tile + tx] = wRow < n && kk < k ? w[wRow * k + kk] : 0f;
            Group.Barrier();
            for (int i = 0; i < tile; i++)
                acc += shared[ty * tile + i] * shared[wOffset + tx * tile + i];
            Group.Barrier();
        }
        if (row < m && col < n) y[row * n + col] = acc;
    }

    /// <summary>One group per (row, col); threads stride over K, then a shared-memory tree sum.</summary>
    [Kernel(KernelGrouping.Explicit)]
    public static void GemvShared(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int m, int k, int n)
    {
        var scratch = SharedMemory.GetDynamic<float>();
        int col = Grid.IdxX, row = Grid.IdxY;
        float acc = 0f;
        for (int i = Group.IdxX; i < k; i += Group.DimX) acc += x[row * k + i] * w[col * k + i];
        float total = Reductions.GroupSumShared(acc, scratch);
        if (Group.IdxX == 0) y[row * n + col] = total;
    }

    /// <summary>As <see cref="GemvShared"/>, reducing with warp shuffles (CUDA).</summary>
    [Kernel(KernelGrouping.Explicit, NeedsWarpShuffles = true)]
    public static void GemvShuffle(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int m, int k, int n)
    {
        var scratch = SharedMemory.GetDynamic<float>();
        int col = Grid.IdxX, row = Grid.IdxY;
        float acc = 0f;
        for (int i = Group.IdxX; i < k; i += Group.DimX) acc += x[row * k + i] * w[col * k + i];
        float total = Reductions.GroupSumShuffle(acc, scratch);
        if (Group.IdxX == 0) y[row * n + col] = total;
    }
}

/// <summary>Loads the GEMM kernels once per accelerator and picks tile and group sizes from its limits.</summary>
public sealed class Gemm
{
    readonly KernelGeometry _geometry;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> _tiled;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> _gemv;

    public Gemm(Accelerator accelerator, KernelGeometry geometry)
    {
        _geometry = geometry;
        _tiled = accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(GemmKernels.Tiled);
        _gemv = accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(
            geometry.UseWarpShuffles ? GemmKernels.GemvShuffle : GemmKernels.GemvShared);
    }

    /// <summary>Rows at or below this count take the GEMV path.</summary>
    public const int GemvMaxRows = 1;

    public void Run(AcceleratorStream stream, ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int m, int k, int n)
    {
        if (m <= GemvMaxRows)
        {
            int group = _geometry.GroupSize;
            var config = new KernelConfig(new Index2D(n, m), new Index2D(group, 1), SharedMemoryConfig.RequestDynamic<float>(group));
            _gemv(stream, config, x, w, y, m, k, n);
        }
        else
        {
            int tile = _geometry.Tile;
            var grid = new Index2D((n + tile - 1) / tile, (m + tile - 1) / tile);
            var config = new KernelConfig(grid, new Index2D(tile, tile), SharedMemoryConfig.RequestDynamic<float>(2 * tile * tile));
            _tiled(stream, config, x, w, y, m, k, n);
        }
    }
}
