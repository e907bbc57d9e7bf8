using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace V2Meow.Kernels;

/// <summary>
/// Row normalisation over the last dimension, one group per row (SPEC §6.2, as the reference's Norm):
/// LayerNorm (x − mean) · rsqrt(var + eps) · w + b with the biased variance, and RMSNorm
/// x · rsqrt(mean(x²) + eps) · w. The variance is a second pass over the row, as the reference computes it,
/// not E[x²] − mean², which cancels badly.
/// </summary>
public static class NormsKernels
{
    /// <summary>LayerNorm, reducing in shared memory.</summary>
    [Kernel(KernelGrouping.Explicit)]
    public static void LayerNormShared(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> y, int columns, float eps) =>
        LayerNormCore<SharedMemoryReduction>(x, weight, bias, y, columns, eps);

    /// <summary>LayerNorm, reducing with warp shuffles (CUDA).</summary>
    [Kernel(KernelGrouping.Explicit, NeedsWarpShuffles = true)]
    public static void LayerNormShuffle(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> y, int columns, float eps) =>
        LayerNormCore<WarpShuffleReduction>(x, weight, bias, y, columns, eps);

    /// <summary>RMSNorm, reducing in shared memory.</summary>
    [Kernel(KernelGrouping.Explicit)]
    public static void RmsNormShared(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> y, int columns, float eps) =>
        RmsNormCore<SharedMemoryReduction>(x, weight, y, columns, eps);

    /// <summary>RMSNorm, reducing with warp shuffles (CUDA).</summary>
    [Kernel(KernelGrouping.Explicit, NeedsWarpShuffles = true)]
    public static void RmsNormShuffle(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> y, int columns, float eps) =>
        RmsNormCore<WarpShuffleReduction>(x, weight, y, columns, eps);

    static void LayerNormCore<TReduction>(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> y, int columns, float eps)
        where TReduction : struct, IGroupReduction
    {
        var scratch = SharedMemory.GetDynamic<float>();
        int offset = Grid.IdxX * columns;
        float sum = 0f;
        for (int c = Group.IdxX; c < columns; c += Group.DimX) sum += x[offset + c];
        float mean = default(TReduction).Sum(sum, scratch) / columns;
        float squares = 0f;
        for (int c = Group.IdxX; c < columns; c += Group.DimX)
        {
            float centred = x[offset + c] - mean;
            squares += centred * centred;
        }
        float inverse = XMath.Rsqrt(default(TReduction).Sum(squares, scratch) / columns + eps);
        for (int c = Group.IdxX; c < columns; c += Group.DimX)
            y[offset + c] = (x[offset + c] - mean) * inverse * weight[c] + bias[c];
    }

    static void RmsNormCore<TReduction>(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> y, int columns, float eps)
        where TReduction : struct, IGroupReduction
    {
        var scratch = SharedMemory.GetDynamic<float>();
        int offset = Grid.IdxX * columns;
        float squares = 0f;
        for (int c = Group.IdxX; c < columns; c += Group.DimX) squares += x[offset + c] * x[offset + c];
        float inverse = XMath.Rsqrt(default(TReduction).Sum(squares, scratch) / columns + eps);
        for (int c = Group.IdxX; c < columns; c += Group.DimX)
            y[offset + c] = x[offset + c] * inverse * weight[c];
    }
}

/// <summary>Loads the norm kernels once per accelerator; one group per row.</summary>
public sealed class Norms
{
    readonly KernelGeometry _geometry;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float> _layerNorm;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float> _rmsNorm;

    /// <summary>
    /// Compiles the norm kernels for <paramref name="accelerator"/>, shuffles or shared memory as <paramref name="geometry"/> says.
    /// </summary>
    public Norms(Accelerator accelerator, KernelGeometry geometry)
    {
        _geometry = geometry;
        _layerNorm = accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(
            geometry.UseWarpShuffles ? NormsKernels.LayerNormShuffle : NormsKernels.LayerNormShared);
        _rmsNorm = accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(
            geometry.UseWarpShuffles ? NormsKernels.RmsNormShuffle : NormsKernels.RmsNormShared);
    }

    /// <summary>LayerNorm of each of <paramref name="rows"/> rows of <paramref name="columns"/>: weight and bias [columns].</summary>
    public void LayerNorm(AcceleratorStream stream, ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> y, int rows, int columns, float eps) =>
        _layerNorm(stream, Config(rows), x, weight, bias, y, columns, eps);

    /// <summary>RMSNorm of each of <paramref name="rows"/> rows of <paramref name="columns"/>: weight [columns], no bias.</summary>
    public void RmsNorm(AcceleratorStream stream, ArrayView<float> x, ArrayView<float> weight, ArrayView<float> y, int rows, int columns, float eps) =>
        _rmsNorm(stream, Config(rows), x, weight, y, columns, eps);

    KernelConfig Config(int rows)
    {
        int group = _geometry.GroupSize;
        return new KernelConfig(new Index1D(rows), new Index1D(group), SharedMemoryConfig.RequestDynamic<float>(group));
    }
}
