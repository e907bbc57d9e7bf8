using V2Meow.Numerics;
using ILGPU;
using ILGPU.Runtime;

namespace V2Meow.Kernels;

/// <summary>
/// Which table row each output row takes: id = ids[IdsOffset + r] + IdOffset + (r mod Levels) · LevelStride.
/// The offsets turn per-level codes into a stage's token ids on the device (SPEC §7: stage-3 id =
/// level · codebook_size + code, codes stored time-major); plain lookups use IdOffset = 0, Levels = 1.
/// </summary>
public struct EmbeddingLookup
{
    public int IdsOffset;
    public int Columns;
    public int IdOffset;
    public int Levels;
    public int LevelStride;

    public readonly int TableRow(ArrayView<int> ids, int row) =>
        ids[IdsOffset + row] + IdOffset + row % Levels * LevelStride;
}

/// <summary>Embedding gather, one thread per output element; f32 tables and 16-bit tables widened on load.</summary>
public static class EmbeddingKernels
{
    [Kernel(KernelGrouping.Implicit)]
    public static void Gather(Index1D i, ArrayView<int> ids, ArrayView<float> table, ArrayView<float> y, EmbeddingLookup lookup) =>
        GatherCore(i, ids, new Float32Weights(table), y, lookup);

    [Kernel(KernelGrouping.Implicit)]
    public static void Gather16(Index1D i, ArrayView<int> ids, ArrayView<ushort> table, int format, ArrayView<float> y, EmbeddingLookup lookup) =>
        GatherCore(i, ids, new PackedWeights(table, format), y, lookup);

    static void GatherCore<TWeights>(int i, ArrayView<int> ids, TWeights table, ArrayView<float> y, EmbeddingLookup lookup)
        where TWeights : struct, IWeightSource
    {
        int row = i / lookup.Columns, column = i - row * lookup.Columns;
        y[i] = table.Load(lookup.TableRow(ids, row) * lookup.Columns + column);
    }
}

/// <summary>Loads the embedding kernels once per accelerator.</summary>
public sealed class Embedding
{
    readonly Action<AcceleratorStream, Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, EmbeddingLookup> _gather;
    readonly Action<AcceleratorStream, Index1D, ArrayView<int>, ArrayView<ushort>, int, ArrayView<float>, EmbeddingLookup> _gather16;

    public Embedding(Accelerator accelerator)
    {
        _gather = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, EmbeddingLookup>(EmbeddingKernels.Gather);
        _gather16 = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<int>, ArrayView<ushort>, int, ArrayView<float>, EmbeddingLookup>(EmbeddingKernels.Gather16);
    }

    public void Gather(AcceleratorStream stream, ArrayView<int> ids, ArrayView<float> table, ArrayView<float> y, int rows, EmbeddingLookup lookup) =>
        _gather(stream, rows * lookup.Columns, ids, table, y, lookup);

    public void Gather(AcceleratorStream stream, ArrayView<int> ids, ArrayView<ushort> table, WeightFormat format, ArrayView<float> y, int rows, EmbeddingLookup lookup) =>
        _gather16(stream, rows * lookup.Columns, ids, table, (int)format, y, lookup);
}
