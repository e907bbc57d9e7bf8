using ILGPU;
using ILGPU.Runtime;
using V2Meow.Numerics;

namespace V2Meow.Kernels;

/// <summary>
/// Which table row each output row takes: id = ids[IdsOffset + r] + IdOffset + (r mod Levels) · LevelStride.
/// The offsets turn per-level codes into a stage's token ids on the device (SPEC §7: stage-3 id =
/// level · codebook_size + code, codes stored time-major); plain lookups use IdOffset = 0, Levels = 1.
/// </summary>
public struct EmbeddingLookup
{
    /// <summary>Index in ids of output row 0's id.</summary>
    public int IdsOffset;
    /// <summary>Width of a table row and of an output row.</summary>
    public int Columns;
    /// <summary>Added to every id: the first token id of the range the codes map to.</summary>
    public int IdOffset;
    /// <summary>Codes per time step; row r is level r mod Levels.</summary>
    public int Levels;
    /// <summary>Ids between levels: codebook_size for stage-3 codes, 0 for plain lookups.</summary>
    public int LevelStride;

    /// <summary>The table row output row <paramref name="row"/> copies.</summary>
    public readonly int TableRow(ArrayView<int> ids, int row) =>
        ids[IdsOffset + row] + IdOffset + row % Levels * LevelStride;
}

/// <summary>Embedding gather, one thread per output element; f32 tables and 16-bit tables widened on load.</summary>
public static class EmbeddingKernels
{
    /// <summary>y[r, c] = table[row r's id, c] from an f32 table.</summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void Gather(Index1D i, ArrayView<int> ids, ArrayView<float> table, ArrayView<float> y, EmbeddingLookup lookup) =>
        GatherCore(i, ids, new Float32Weights(table), y, lookup);

    /// <summary>y[r, c] = table[row r's id, c] from a 16-bit table (<paramref name="format"/> a <see cref="WeightFormat"/>).</summary>
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

    /// <summary>Compiles the f32 and 16-bit gather kernels for <paramref name="accelerator"/>.</summary>
    public Embedding(Accelerator accelerator)
    {
        _gather = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, EmbeddingLookup>(EmbeddingKernels.Gather);
        _gather16 = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<int>, ArrayView<ushort>, int, ArrayView<float>, EmbeddingLookup>(EmbeddingKernels.Gather16);
    }

    /// <summary>y [rows, Columns] = the table rows <paramref name="lookup"/> picks for <paramref name="rows"/> ids.</summary>
    public void Gather(AcceleratorStream stream, ArrayView<int> ids, ArrayView<float> table, ArrayView<float> y, int rows, EmbeddingLookup lookup) =>
        _gather(stream, rows * lookup.Columns, ids, table, y, lookup);

    /// <summary>As the f32 overload, from a 16-bit table widened to f32.</summary>
    public void Gather(AcceleratorStream stream, ArrayView<int> ids, ArrayView<ushort> table, WeightFormat format, ArrayView<float> y, int rows, EmbeddingLookup lookup) =>
        _gather16(stream, rows * lookup.Columns, ids, table, (int)format, y, lookup);
}
