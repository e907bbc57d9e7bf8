using ILGPU;
using ILGPU.Runtime;

namespace V2Meow.Kernels;

/// <summary>
/// Whole-row ops of the video encoder (VMAS §6.2): gathering rows by index (Hiera's unroll and reroll orders,
/// the position embedding's tables) and pooling consecutive groups of rows (query pooling, the mean over space).
/// </summary>
public static class RowsKernels
{
    /// <summary>
    /// y[r, c] = source[indices[r], c], one thread per output element. An index outside [0, sourceRows) gives NaN
    /// rather than a read out of bounds: a kernel cannot throw, and host indices are checked before upload.
    /// </summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void Gather(Index1D index, ArrayView<int> indices, ArrayView<float> source, ArrayView<float> output,
        int columns, int sourceRows)
    {
        int r = index / columns, c = index - r * columns;
        int id = indices[r];
        output[index] = id >= 0 && id < sourceRows ? source[id * columns + c] : float.NaN;
    }

    /// <summary>
    /// y[r, c] = max or mean over a &lt; group of x[r·group + a, c], one thread per output element (<paramref name="mean"/>
    /// 0 for max, 1 for mean). The mean is the f32 sum in row order divided by the group, as the CPU backend computes it.
    /// </summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void Pool(Index1D index, ArrayView<float> input, ArrayView<float> output, int columns, int group, int mean)
    {
        int r = index / columns, c = index - r * columns;
        int at = r * group * columns + c;
        float acc = input[at];
        for (int a = 1; a < group; a++)
        {
            float x = input[at + a * columns];
            acc = mean != 0 ? acc + x : IntrinsicMath.Max(acc, x);
        }
        output[index] = mean != 0 ? acc / group : acc;
    }
}

/// <summary>Loads the row gather and pool kernels once per accelerator.</summary>
public sealed class Rows
{
    readonly Action<AcceleratorStream, Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int> _gather;
    readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int, int, int> _pool;

    /// <summary>Compiles the gather and pool kernels for <paramref name="accelerator"/>.</summary>
    public Rows(Accelerator accelerator)
    {
        _gather = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int>(RowsKernels.Gather);
        _pool = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>(RowsKernels.Pool);
    }

    /// <summary>output [rows, columns] = the rows of source [sourceRows, columns] that <paramref name="indices"/> names.</summary>
    public void Gather(AcceleratorStream stream, ArrayView<int> indices, ArrayView<float> source, ArrayView<float> output,
        int rows, int columns, int sourceRows) =>
        _gather(stream, rows * columns, indices, source, output, columns, sourceRows);

    /// <summary>output [rows, columns] from input [rows · group, columns]: the max, or with <paramref name="mean"/> the mean, of each group.</summary>
    public void Pool(AcceleratorStream stream, ArrayView<float> input, ArrayView<float> output, int rows, int columns, int group, bool mean) =>
        _pool(stream, rows * columns, input, output, columns, group, mean ? 1 : 0);
}
