using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace V2Meow.Kernels;

/// <summary>
/// Scalars of one attention launch. Queries, keys, values and outputs are rows of Heads · HeadDim floats,
/// head h in columns [h · HeadDim, (h + 1) · HeadDim). The relative-position bias (SPEC §6.5) comes as a
/// table [Heads, 2 · MaxDistance + 1] indexed by key − query clamped to ±MaxDistance: T5's buckets
/// saturate beyond max_distance, so the clamp is exact.
/// </summary>
public struct AttentionShape
{
    /// <summary>H, attention heads.</summary>
    public int Heads;
    /// <summary>Dh, columns per head.</summary>
    public int HeadDim;
    /// <summary>Multiplies q·k before the bias (SPEC §3.6 attention_scale).</summary>
    public float Scale;
    /// <summary>1 to add the relative-position bias table, 0 for none (cross-attention).</summary>
    public int HasBias;
    /// <summary>Key − query offsets are clamped to ±MaxDistance; the bias table has 2 · MaxDistance + 1 columns per head.</summary>
    public int MaxDistance;
    /// <summary>Key rows of a dense launch; paged launches take the count from each row's position.</summary>
    public int Keys;

    /// <summary>H · Dh: the floats of one query, key, value or output row.</summary>
    public readonly int Inner => Heads * HeadDim;
}

/// <summary>
/// How a paged launch finds its rows in the cache (SPEC §6.4): row r belongs to the sequence whose block
/// table is row rowSlot[r] of the tables, and sits at position rowPosition[r] + Step.
/// </summary>
public struct PagedLayout
{
    /// <summary>B, key/value rows per cache block.</summary>
    public int BlockSize;
    /// <summary>Entries per block table row: the most blocks one sequence can hold.</summary>
    public int MaxBlocks;
    /// <summary>Added to every row's position: the decode step within the launch.</summary>
    public int Step;

    /// <summary>The position of row <paramref name="row"/> in its sequence: rowPosition[row] + Step.</summary>
    public readonly int Position(ArrayView<int> rowPosition, int row) => rowPosition[row] + Step;

    /// <summary>Where the keys of row <paramref name="row"/>'s sequence lie.</summary>
    public readonly PagedKeyRows Keys(ArrayView<int> tables, ArrayView<int> rowSlot, int row) =>
        new(tables, rowSlot[row] * MaxBlocks, BlockSize);
}

/// <summary>Where key j of the current query's sequence lies in the key/value buffers.</summary>
public interface IKeyRows
{
    /// <summary>The buffer row holding key <paramref name="key"/>.</summary>
    int Row(int key);
}

/// <summary>Key j is row j of the key/value buffers: dense launches.</summary>
public readonly struct ContiguousKeyRows : IKeyRows
{
    /// <summary>Returns <paramref name="key"/>.</summary>
    public int Row(int key) => key;
}

/// <summary>Key j is row First + j: a window of consecutive key rows (windowed launches).</summary>
public readonly struct WindowKeyRows : IKeyRows
{
    readonly int _first;

    /// <summary>Keys from row <paramref name="first"/> on.</summary>
    public WindowKeyRows(int first) => _first = first;

    /// <summary>First + <paramref name="key"/>.</summary>
    public int Row(int key) => _first + key;
}

/// <summary>Key j is slot j mod B of block tables[j / B]; blocks are B consecutive rows of the cache.</summary>
public readonly struct PagedKeyRows : IKeyRows
{
    readonly ArrayView<int> _tables;
    readonly int _tableOffset;
    readonly int _blockSize;

    /// <summary>
    /// Keys through the block table starting at <paramref name="tableOffset"/> in <paramref name="tables"/>, with blocks of
    /// <paramref name="blockSize"/> rows.
    /// </summary>
    public PagedKeyRows(ArrayView<int> tables, int tableOffset, int blockSize)
    {
        _tables = tables;
        _tableOffset = tableOffset;
        _blockSize = blockSize;
    }

    /// <summary>tables[offset + key / B] · B + key mod B.</summary>
    public int Row(int key)
    {
        int block = key / _blockSize;
        return _tables[_tableOffset + block] * _blockSize + (key - block * _blockSize);
    }
}

/// <summary>
/// Fused attention: scores, relative bias, causal limit, softmax and the weighted sum of values in one
/// kernel, one group per (query row, head), with an online softmax, so no [T, T] score matrix ever
/// reaches global memory. Dense launches serve the encoder (bidirectional bias) and cross-attention (no
/// bias, no mask); paged launches serve the decoder, reading keys 0..position through the block table;
/// windowed launches serve the video encoder's mask units (no bias, keys of the query's window only).
/// </summary>
public static class AttentionKernels
{
    /// <summary>Dense attention, reducing in shared memory; launched by <see cref="Attention.Dense"/>.</summary>
    [Kernel(KernelGrouping.Explicit)]
    public static void DenseShared(ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<float> bias, ArrayView<float> y, AttentionShape shape) =>
        Attend<ContiguousKeyRows, SharedMemoryReduction>(q, k, v, bias, y, default, shape.Keys, Grid.IdxX, shape);

    /// <summary>Dense attention, reducing with warp shuffles (CUDA); launched by <see cref="Attention.Dense"/>.</summary>
    [Kernel(KernelGrouping.Explicit, NeedsWarpShuffles = true)]
    public static void DenseShuffle(ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<float> bias, ArrayView<float> y, AttentionShape shape) =>
        Attend<ContiguousKeyRows, WarpShuffleReduction>(q, k, v, bias, y, default, shape.Keys, Grid.IdxX, shape);

    /// <summary>Causal attention through the block tables, reducing in shared memory; launched by <see cref="Attention.Paged"/>.</summary>
    [Kernel(KernelGrouping.Explicit)]
    public static void PagedShared(ArrayView<float> q, ArrayView<float> kCache, ArrayView<float> vCache, ArrayView<int> tables,
        ArrayView<int> rowSlot, ArrayView<int> rowPosition, ArrayView<float> bias, ArrayView<float> y, AttentionShape shape, PagedLayout layout) =>
        AttendPaged<SharedMemoryReduction>(q, kCache, vCache, tables, rowSlot, rowPosition, bias, y, shape, layout);

    /// <summary>
    /// Causal attention through the block tables, reducing with warp shuffles (CUDA); launched by <see cref="Attention.Paged"/>.
    /// </summary>
    [Kernel(KernelGrouping.Explicit, NeedsWarpShuffles = true)]
    public static void PagedShuffle(ArrayView<float> q, ArrayView<float> kCache, ArrayView<float> vCache, ArrayView<int> tables,
        ArrayView<int> rowSlot, ArrayView<int> rowPosition, ArrayView<float> bias, ArrayView<float> y, AttentionShape shape, PagedLayout layout) =>
        AttendPaged<WarpShuffleReduction>(q, kCache, vCache, tables, rowSlot, rowPosition, bias, y, shape, layout);

    /// <summary>
    /// Attention within windows, reducing in shared memory; launched by <see cref="Attention.Windowed"/>. Query row r
    /// belongs to window r / queryWindow and sees that window's <see cref="AttentionShape.Keys"/> consecutive key rows.
    /// </summary>
    [Kernel(KernelGrouping.Explicit)]
    public static void WindowedShared(ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<float> y, AttentionShape shape, int queryWindow) =>
        Attend<WindowKeyRows, SharedMemoryReduction>(q, k, v, q, y, new WindowKeyRows(Grid.IdxX / queryWindow * shape.Keys), shape.Keys, Grid.IdxX, shape);

    /// <summary>Attention within windows, reducing with warp shuffles (CUDA); launched by <see cref="Attention.Windowed"/>.</summary>
    [Kernel(KernelGrouping.Explicit, NeedsWarpShuffles = true)]
    public static void WindowedShuffle(ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<float> y, AttentionShape shape, int queryWindow) =>
        Attend<WindowKeyRows, WarpShuffleReduction>(q, k, v, q, y, new WindowKeyRows(Grid.IdxX / queryWindow * shape.Keys), shape.Keys, Grid.IdxX, shape);

    /// <summary>Stores each row's key and value at its position in its sequence's cache blocks, one thread per element.</summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void WriteKeyValues(Index1D i, ArrayView<float> k, ArrayView<float> v, ArrayView<float> kCache, ArrayView<float> vCache,
        ArrayView<int> tables, ArrayView<int> rowSlot, ArrayView<int> rowPosition, int inner, PagedLayout layout)
    {
        int row = i / inner, column = i - row * inner;
        int target = layout.Keys(tables, rowSlot, row).Row(layout.Position(rowPosition, row)) * inner + column;
        kCache[target] = k[i];
        vCache[target] = v[i];
    }

    /// <summary>Causal: query row Grid.IdxX sees its sequence's keys 0..its position.</summary>
    static void AttendPaged<TReduction>(ArrayView<float> q, ArrayView<float> kCache, ArrayView<float> vCache, ArrayView<int> tables,
        ArrayView<int> rowSlot, ArrayView<int> rowPosition, ArrayView<float> bias, ArrayView<float> y, AttentionShape shape, PagedLayout layout)
        where TReduction : struct, IGroupReduction
    {
        int row = Grid.IdxX, position = layout.Position(rowPosition, row);
        Attend<PagedKeyRows, TReduction>(q, kCache, vCache, bias, y, layout.Keys(tables, rowSlot, row), position + 1, position, shape);
    }

    /// <summary>
    /// One group: query row Grid.IdxX, head Grid.IdxY, keys 0..keyCount−1. Each thread walks its own
    /// keys (lane, lane + threads, …) with an online softmax — a running max, a running sum and an output
    /// accumulator rescaled as the max grows — and the threads merge once at the end: no barrier inside the
    /// key loop. Dynamic shared memory holds the query [HeadDim], the accumulators [HeadDim × threads],
    /// laid out d-major so neighbouring threads touch neighbouring words, and the reduction scratch [threads].
    /// </summary>
    static void Attend<TKeys, TReduction>(ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<float> bias,
        ArrayView<float> y, TKeys keys, int keyCount, int queryPosition, AttentionShape shape)
        where TKeys : struct, IKeyRows
        where TReduction : struct, IGroupReduction
    {
        int head = Grid.IdxY, lane = Group.IdxX, threads = Group.DimX;
        int headDim = shape.HeadDim, inner = shape.Inner, headOffset = head * headDim;
        var shared = SharedMemory.GetDynamic<float>();
        var query = shared.SubView(0, headDim);
        var acc = shared.SubView(headDim, headDim * threads);
        var scratch = shared.SubView(headDim + headDim * threads, threads);
        int outputOffset = Grid.IdxX * inner + headOffset;
        for (int d = lane; d < headDim; d += threads) query[d] = q[outputOffset + d];
        for (int d = 0; d < headDim; d++) acc[d * threads + lane] = 0f;
        Group.Barrier();

        int biasCentre = head * (2 * shape.MaxDistance + 1) + shape.MaxDistance;
        float runningMax = float.MinValue, runningSum = 0f;
        for (int key = lane; key < keyCount; key += threads)
        {
            int row = keys.Row(key) * inner + headOffset;
            float dot = 0f;
            for (int d = 0; d < headDim; d++) dot += query[d] * k[row + d];
            float score = shape.Scale * dot;
            if (shape.HasBias != 0)
                score += bias[biasCentre + IntrinsicMath.Clamp(key - queryPosition, -shape.MaxDistance, shape.MaxDistance)];
            float newMax = IntrinsicMath.Max(runningMax, score);
            float rescale = XMath.Exp(runningMax - newMax);
            float weight = XMath.Exp(score - newMax);
            runningSum = runningSum * rescale + weight;
            for (int d = 0; d < headDim; d++)
                acc[d * threads + lane] = acc[d * threads + lane] * rescale + weight * v[row + d];
            runningMax = newMax;
        }

        // Merge: every thread's share is rescaled to the group's max (threads without keys contribute 0).
        float max = default(TReduction).Max(runningMax, scratch);
        float share = XMath.Exp(runningMax - max);
        float total = default(TReduction).Sum(runningSum * share, scratch);
        scratch[lane] = share;
        Group.Barrier();
        for (int d = lane; d < headDim; d += threads)
        {
            float sum = 0f;
            for (int t = 0; t < threads; t++) sum += acc[d * threads + t] * scratch[t];
            y[outputOffset + d] = sum / total;
        }
    }
}

/// <summary>Loads the attention kernels once per accelerator; one group per (query row, head).</summary>
public sealed class Attention
{
    readonly KernelGeometry _geometry;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionShape> _dense;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>,
        ArrayView<float>, ArrayView<float>, AttentionShape, PagedLayout> _paged;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionShape, int> _windowed;
    readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>,
        ArrayView<int>, int, PagedLayout> _write;

    /// <summary>
    /// Compiles the dense, paged and cache-write kernels for <paramref name="accelerator"/>, shuffles or shared memory as
    /// <paramref name="geometry"/> says.
    /// </summary>
    public Attention(Accelerator accelerator, KernelGeometry geometry)
    {
        _geometry = geometry;
        _dense = accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionShape>(
            geometry.UseWarpShuffles ? AttentionKernels.DenseShuffle : AttentionKernels.DenseShared);
        _paged = accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>,
            ArrayView<float>, ArrayView<float>, AttentionShape, PagedLayout>(
            geometry.UseWarpShuffles ? AttentionKernels.PagedShuffle : AttentionKernels.PagedShared);
        _windowed = accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionShape, int>(
            geometry.UseWarpShuffles ? AttentionKernels.WindowedShuffle : AttentionKernels.WindowedShared);
        _write = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>,
            ArrayView<int>, ArrayView<int>, int, PagedLayout>(AttentionKernels.WriteKeyValues);
    }

    /// <summary>Every query row attends to all <see cref="AttentionShape.Keys"/> key rows; query r sits at position r for the bias.</summary>
    public void Dense(AcceleratorStream stream, ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<float> bias,
        ArrayView<float> y, int rows, AttentionShape shape) =>
        _dense(stream, Config(rows, shape), q, k, v, bias, y, shape);

    /// <summary>
    /// Windowed attention without bias: query row r sees the <see cref="AttentionShape.Keys"/> key rows of window
    /// r / <paramref name="queryWindow"/>.
    /// </summary>
    public void Windowed(AcceleratorStream stream, ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<float> y,
        int rows, AttentionShape shape, int queryWindow) =>
        _windowed(stream, Config(rows, shape), q, k, v, y, shape, queryWindow);

    /// <summary>Causal attention through the block tables: row r sees keys 0..its position.</summary>
    public void Paged(AcceleratorStream stream, ArrayView<float> q, ArrayView<float> kCache, ArrayView<float> vCache, ArrayView<int> tables,
        ArrayView<int> rowSlot, ArrayView<int> rowPosition, ArrayView<float> bias, ArrayView<float> y, int rows, AttentionShape shape, PagedLayout layout) =>
        _paged(stream, Config(rows, shape), q, kCache, vCache, tables, rowSlot, rowPosition, bias, y, shape, layout);

    /// <summary>
    /// Stores <paramref name="rows"/> rows of k and v ([rows, inner]) at their positions in the cache blocks, before a paged launch reads
    /// them.
    /// </summary>
    public void WriteKeyValues(AcceleratorStream stream, ArrayView<float> k, ArrayView<float> v, ArrayView<float> kCache, ArrayView<float> vCache,
        ArrayView<int> tables, ArrayView<int> rowSlot, ArrayView<int> rowPosition, int rows, int inner, PagedLayout layout) =>
        _write(stream, rows * inner, k, v, kCache, vCache, tables, rowSlot, rowPosition, inner, layout);

    /// <summary>Shared memory every GPU grants a group: 48 KiB.</summary>
    const int SharedFloats = 48 * 1024 / sizeof(float);

    KernelConfig Config(int rows, AttentionShape shape)
    {
        // Up to 128 threads, and at most 8192 accumulator floats (32 KiB, the rest well under 48 KiB); more
        // threads would idle through short decode contexts anyway. Shuffles need whole warps.
        int threads = Math.Min(_geometry.GroupSize, 128);
        int fewest = _geometry.UseWarpShuffles ? _geometry.WarpSize : 1;
        while (threads > fewest && shape.HeadDim * threads > 8192) threads /= 2;
        int floats = shape.HeadDim * (threads + 1) + threads;
        if (floats > SharedFloats)
            throw new NotSupportedException($"attention: head_dim {shape.HeadDim} needs {floats * sizeof(float)} bytes of shared memory per group; at most {SharedFloats * sizeof(float)} are available");
        return new KernelConfig(new Index2D(rows, shape.Heads), new Index2D(threads, 1), SharedMemoryConfig.RequestDynamic<float>(floats));
    }
}
