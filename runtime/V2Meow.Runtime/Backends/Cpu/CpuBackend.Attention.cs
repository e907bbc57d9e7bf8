using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace V2Meow.Runtime.Backends.Cpu;

/// <summary>
/// The transformer's attention on the CPU (SPEC §6.4): contiguous keys, or keys in the paged cache.
/// A work item is one head of up to <see cref="QueryBlock"/> consecutive query rows of one sequence (a prefill's
/// rows; a decode step's rows are one per sequence), so each key and value row read from memory serves every
/// query of the block, 4 at a time from registers (the scores of a tile over a run of keys, the weighted values'
/// sums of a tile across its keys), and the cache's block table is read once per run of keys rather than
/// divided into per key. Every query's arithmetic is the same f32 steps in the same order whatever block it
/// falls in: blocking changes the loads, never a result.
/// </summary>
public sealed partial class CpuBackend
{
    /// <summary>
    /// Queries per work item: each key row read from memory serves 16 queries (a 2048-key prefill otherwise
    /// streams every head's keys from memory once per 4 queries); their scores, 16 rows of up to a window's
    /// keys, stay in L2.
    /// </summary>
    const int QueryBlock = 16;

    /// <summary>Keys whose scores a block's tiles take in turn: 256 keys of a 64-wide head are 64 KiB, which L2 keeps.</summary>
    const int KeyChunk = 256;

    /// <summary>Queries per register tile: 4 rows of 2 accumulators and the shared key loads fit the 16 vector registers.</summary>
    const int QueryTile = 4;

    /// <inheritdoc/>
    public void Attention(DeviceTensor q, DeviceTensor k, DeviceTensor v, DeviceTensor output, AttentionHeads heads, PositionBias? bias)
    {
        var (qs, ks, vs, ys) = (Own<CpuTensor>(q, "q"), Own<CpuTensor>(k, "k"), Own<CpuTensor>(v, "v"), Own<CpuTensor>(output, "output"));
        TransformerChecks.Attention(qs, ks, vs, ys, heads, bias);
        var table = bias is null ? null : Own<CpuTensor>(bias.Table, "bias");
        int keys = ks.Rows, rows = qs.Rows, blocks = (rows + QueryBlock - 1) / QueryBlock;
        _workers.For(blocks * heads.Heads, item =>
        {
            int first = item / heads.Heads * QueryBlock;
            var block = new QueryRows(first, Math.Min(QueryBlock, rows - first), keys, CountStep: 0, FirstPosition: first);
            AttendBlock(qs.Data, ks.Data, vs.Data, ys.Data, block, item % heads.Heads, heads, new ContiguousRows(),
                table?.Data, bias?.MaxDistance ?? 0, ScoreBuffer.ForThisThread);
        });
    }

    /// <inheritdoc/>
    public void PagedAttention(DeviceTensor q, DeviceTensor kCache, DeviceTensor vCache, DeviceTensor output, PagedRows rows, AttentionHeads heads, PositionBias bias)
    {
        var (qs, kc, vc, ys) = (Own<CpuTensor>(q, "q"), Own<CpuTensor>(kCache, "k cache"), Own<CpuTensor>(vCache, "v cache"), Own<CpuTensor>(output, "output"));
        TransformerChecks.Attention(qs, kc, vc, ys, heads, bias);
        TransformerChecks.Paged(kc, vc, rows, heads.Inner, qs.Rows);
        var (tables, slots, positions) = (Own<CpuIntTensor>(rows.BlockTables, "block tables"), Own<CpuIntTensor>(rows.RowSlot, "row slots"), Own<CpuIntTensor>(rows.RowPosition, "row positions"));
        var table = Own<CpuTensor>(bias.Table, "bias");
        int[] starts = ArrayPool<int>.Shared.Rent(qs.Rows + 1);
        try
        {
            int blocks = PagedBlocks(slots.Data, positions.Data, qs.Rows, starts);
            _workers.For(blocks * heads.Heads, item =>
            {
                int b = item / heads.Heads, first = starts[b];
                int position = positions.Data[first] + rows.Step;
                // Causal: query row first + i sees the keys up to its own position, one more than the row before.
                var block = new QueryRows(first, starts[b + 1] - first, position + 1, CountStep: 1, FirstPosition: position);
                var keyRows = new PagedKeyRows(tables.Data, slots.Data[first] * rows.MaxBlocks, rows.BlockSize);
                AttendBlock(qs.Data, kc.Data, vc.Data, ys.Data, block, item % heads.Heads, heads, keyRows, table.Data,
                    bias.MaxDistance, ScoreBuffer.ForThisThread);
            });
        }
        finally
        {
            ArrayPool<int>.Shared.Return(starts);
        }
    }

    /// <summary>
    /// Splits the rows into blocks of at most <see cref="QueryBlock"/> consecutive rows of one slot at consecutive
    /// positions; writes each block's first row to <paramref name="starts"/> (and the row count after the last) and
    /// returns the number of blocks. A block starts afresh at each slot, so a sequence's blocks do not depend on
    /// which other sequences share the call.
    /// </summary>
    static int PagedBlocks(int[] slots, int[] positions, int rows, int[] starts)
    {
        int blocks = 0;
        for (int r = 0; r < rows;)
        {
            starts[blocks++] = r;
            int end = r + 1;
            while (end < rows && end - r < QueryBlock && slots[end] == slots[r] && positions[end] == positions[end - 1] + 1) end++;
            r = end;
        }
        starts[blocks] = rows;
        return blocks;
    }

    /// <summary>
    /// Consecutive query rows [First, First + Count) of one sequence: row First + i sits at FirstPosition + i and
    /// sees keys [0, FirstCount + i · CountStep).
    /// </summary>
    readonly record struct QueryRows(int First, int Count, int FirstCount, int CountStep, int FirstPosition)
    {
        public int KeysOf(int i) => FirstCount + i * CountStep;
    }

    /// <summary>Rows of keys in the key/value arrays: contiguous, or through a block table.</summary>
    interface IKeyRows
    {
        /// <summary>The array row of key <paramref name="key"/>; how many keys from it on (before <paramref name="end"/>) follow in consecutive rows.</summary>
        int Run(int key, int end, out int row);
    }

    readonly struct ContiguousRows : IKeyRows
    {
        public int Run(int key, int end, out int row)
        {
            row = key;
            return end - key;
        }
    }

    readonly struct PagedKeyRows(int[] tables, int offset, int blockSize) : IKeyRows
    {
        public int Run(int key, int end, out int row)
        {
            int within = key % blockSize;
            row = tables[offset + key / blockSize] * blockSize + within;
            return Math.Min(blockSize - within, end - key);
        }
    }

    /// <summary>One thread's attention scores, grown to the longest key count it meets.</summary>
    sealed class ScoreBuffer
    {
        [ThreadStatic] static ScoreBuffer? t_buffer;

        float[] _scores = new float[64];

        public static ScoreBuffer ForThisThread => t_buffer ??= new ScoreBuffer();

        public Span<float> Take(int count)
        {
            if (_scores.Length < count) _scores = new float[Math.Max(count, 2 * _scores.Length)];
            return _scores.AsSpan(0, count);
        }
    }

    /// <summary>
    /// softmax(scale · q·kⱼ + bias(j − queryPosition)) over each query's keys, times v, for one head of a block of
    /// queries: scores first (every query read before any output is written, so the output may be q), then each
    /// row's softmax, then the weighted values. The scores of the block live only in this worker's buffer.
    /// </summary>
    static unsafe void AttendBlock<TRows>(float[] q, float[] k, float[] v, float[] y, QueryRows block, int head,
        AttentionHeads heads, TRows keyRows, float[]? bias, int maxDistance, ScoreBuffer buffer) where TRows : struct, IKeyRows
    {
        int dh = heads.HeadDim, inner = heads.Inner, offset = head * dh, n = block.Count;
        int last = block.KeysOf(n - 1); // the keys the last row sees: the most of any row
        var scores = buffer.Take(n * last);
        fixed (float* qb = q, kb = k, vb = v, yb = y, sp = scores)
        {
            float* qp = qb + (long)block.First * inner + offset, yp = yb + (long)block.First * inner + offset;
            // Keys in chunks that stay in L2 while every tile of the block reads them; in each, a full tile's
            // shared keys four queries at a time, then each row's own further keys one by one.
            for (int c0 = 0; c0 < last; c0 += KeyChunk)
            {
                int c1 = Math.Min(last, c0 + KeyChunk);
                for (int t = 0; t < n; t += QueryTile)
                {
                    int shared = n > 1 && t + QueryTile <= n ? Math.Min(c1, block.KeysOf(t)) : c0;
                    for (int j = c0; j < shared;)
                    {
                        int run = keyRows.Run(j, shared, out int row);
                        ScoresRun4(qp + (long)t * inner, inner, kb + (long)row * inner + offset, run, dh, sp + t * last + j, last);
                        j += run;
                    }
                    for (int i = t; i < Math.Min(t + QueryTile, n); i++)
                        for (int j = Math.Max(c0, shared), keys = Math.Min(c1, block.KeysOf(i)); j < keys;)
                        {
                            int run = keyRows.Run(j, keys, out int row);
                            ScoresRun1(qp + (long)i * inner, kb + (long)row * inner + offset, inner, run, dh, sp + i * last + j);
                            j += run;
                        }
                }
            }

            Span<float> inverse = stackalloc float[QueryBlock];
            for (int i = 0; i < n; i++)
            {
                var row = scores.Slice(i * last, block.KeysOf(i));
                int centre = head * (2 * maxDistance + 1) + maxDistance, position = block.FirstPosition + i;
                TensorPrimitives.Multiply(row, heads.Scale, row);
                if (bias is not null) AddPositionBias(row, bias.AsSpan(centre - maxDistance, 2 * maxDistance + 1), position, maxDistance);
                float max = TensorPrimitives.Max(row);
                TensorPrimitives.Subtract(row, max, row);
                TensorPrimitives.Exp(row, row);
                inverse[i] = 1f / TensorPrimitives.Sum(row);
                new Span<float>(yp + (long)i * inner, dh).Clear();
            }

            if (n == 1) ValuesOfOneRow(vb + offset, inner, keyRows, last, sp, dh, yp);
            for (int t = 0; n > 1 && t < n; t += QueryTile)
            {
                if (t + QueryTile <= n)
                {
                    // The keys all four rows see, summed in registers; then each row's own further keys.
                    int shared = block.KeysOf(t);
                    ValuesOfFourRows(vb + offset, inner, keyRows, shared, sp + t * last, last, dh, yp + (long)t * inner);
                    for (int i = t; i < t + QueryTile; i++)
                        AddValuesKeyByKey(vb + offset, inner, keyRows, shared, block.KeysOf(i), sp + i * last, yp + (long)i * inner, dh);
                }
                else
                    for (int i = t; i < n; i++)
                        AddValuesKeyByKey(vb + offset, inner, keyRows, 0, block.KeysOf(i), sp + i * last, yp + (long)i * inner, dh);
            }
            for (int i = 0; i < n; i++)
            {
                var output = new Span<float>(yp + (long)i * inner, dh);
                TensorPrimitives.Multiply(output, inverse[i], output);
            }
        }
    }

    /// <summary>
    /// row[j] += biases[maxDistance + clamp(j − position, −maxDistance, maxDistance)], one head's biases over relative
    /// distances −maxDistance … maxDistance: the keys at or beyond either end share one bias, and those between
    /// take a contiguous run of the table, so the whole row is three vector adds.
    /// </summary>
    static void AddPositionBias(Span<float> row, ReadOnlySpan<float> biases, int position, int maxDistance)
    {
        int near = Math.Clamp(position - maxDistance + 1, 0, row.Length);   // keys before it are at −maxDistance or further
        int far = Math.Clamp(position + maxDistance, near, row.Length);      // keys from it on are at +maxDistance or further
        TensorPrimitives.Add(row[..near], biases[0], row[..near]);
        if (far > near) TensorPrimitives.Add(row[near..far], biases.Slice(near - position + maxDistance, far - near), row[near..far]);
        TensorPrimitives.Add(row[far..], biases[2 * maxDistance], row[far..]);
    }

    /// <summary>
    /// q·k of one head (64 values in the example configs), inline: attention makes one such call per key and
    /// query, and TensorPrimitives.Dot's set-up for any length and alignment costs more than 64 multiply-adds.
    /// Two accumulators over 16-column steps, one 8-column step into the first, then the scalar tail:
    /// <see cref="HeadDot4"/> repeats exactly these steps for each of its queries.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe float HeadDot(float* a, float* b, int n)
    {
        int i = 0;
        float sum = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> s0 = default, s1 = default;
            for (; i + 16 <= n; i += 16)
            {
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8), s1);
            }
            if (i + 8 <= n)
            {
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), s0);
                i += 8;
            }
            sum = Vector256.Sum(s0 + s1);
        }
        for (; i < n; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary><see cref="HeadDot"/> of one query row with each of <paramref name="count"/> key rows <paramref name="inner"/> apart, into scores[e].</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static unsafe void ScoresRun1(float* q, float* key, int inner, int count, int dh, float* scores)
    {
        for (nint e = 0; e < count; e++, key += inner) scores[e] = HeadDot(q, key, dh);
    }

    /// <summary>
    /// <see cref="HeadDot4"/> of 4 query rows with each of <paramref name="count"/> consecutive key rows
    /// (<paramref name="inner"/> apart), key e's scores to scores[r · scoreStride + e]. A method of its own, kept
    /// small, so the JIT keeps its pointers in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static unsafe void ScoresRun4(float* q, int inner, float* key, int count, int dh, float* scores, int scoreStride)
    {
        for (nint e = 0; e < count; e++, key += inner) HeadDot4(q, inner, key, dh, scores + e, scoreStride);
    }

    /// <summary>
    /// <see cref="HeadDot"/> of <see cref="QueryTile"/> (4) query rows (<paramref name="stride"/> apart) with one key, each key vector loaded
    /// once for the 4; the scores go to scores[r · scoreStride].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void HeadDot4(float* q, int stride, float* key, int n, float* scores, int scoreStride)
    {
        if (!Vector256.IsHardwareAccelerated || n < 8)
        {
            for (int r = 0; r < QueryTile; r++) scores[r * scoreStride] = HeadDot(q + (long)r * stride, key, n);
            return;
        }
        float* q0 = q, q1 = q0 + stride, q2 = q1 + stride, q3 = q2 + stride;
        Vector256<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var k0 = Vector256.Load(key + i);
            var k1 = Vector256.Load(key + i + 8);
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(q0 + i), k0, a0);
            b0 = Vector256.FusedMultiplyAdd(Vector256.Load(q0 + i + 8), k1, b0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Load(q1 + i), k0, a1);
            b1 = Vector256.FusedMultiplyAdd(Vector256.Load(q1 + i + 8), k1, b1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Load(q2 + i), k0, a2);
            b2 = Vector256.FusedMultiplyAdd(Vector256.Load(q2 + i + 8), k1, b2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Load(q3 + i), k0, a3);
            b3 = Vector256.FusedMultiplyAdd(Vector256.Load(q3 + i + 8), k1, b3);
        }
        if (i + 8 <= n)
        {
            var k0 = Vector256.Load(key + i);
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(q0 + i), k0, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Load(q1 + i), k0, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Load(q2 + i), k0, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Load(q3 + i), k0, a3);
            i += 8;
        }
        float s0 = Vector256.Sum(a0 + b0), s1 = Vector256.Sum(a1 + b1), s2 = Vector256.Sum(a2 + b2), s3 = Vector256.Sum(a3 + b3);
        for (; i < n; i++)
        {
            s0 += q0[i] * key[i];
            s1 += q1[i] * key[i];
            s2 += q2[i] * key[i];
            s3 += q3[i] * key[i];
        }
        scores[0] = s0;
        scores[scoreStride] = s1;
        scores[2 * scoreStride] = s2;
        scores[3 * scoreStride] = s3;
    }

    /// <summary>y += p[j] · v[j] for keys j in [from, to), in key order, over one head (<paramref name="values"/> is the head's column in row 0).</summary>
    static unsafe void AddValuesKeyByKey<TRows>(float* values, int inner, TRows keyRows, int from, int to, float* p, float* y, int dh)
        where TRows : struct, IKeyRows
    {
        for (int j = from; j < to;)
        {
            int run = keyRows.Run(j, to, out int row);
            for (int e = 0; e < run; e++, j++) HeadAccumulate(values + (long)(row + e) * inner, p[j], y, dh);
        }
    }

    /// <summary>
    /// y = Σ_j p[j] · v[j] over keys j in [0, keys) for one row (a decode step's), in key order, each product added
    /// as <see cref="HeadAccumulate"/> adds it into a cleared row: up to 8 vectors of the head's sums in
    /// registers across a run of keys (<see cref="ValuesRunOne64"/>), instead of the row loaded and stored per key.
    /// </summary>
    static unsafe void ValuesOfOneRow<TRows>(float* values, int inner, TRows keyRows, int keys, float* p, int dh, float* y)
        where TRows : struct, IKeyRows
    {
        var sums = stackalloc Vector256<float>[8];
        int d = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; d + 8 <= dh;)
            {
                int width = d + 64 <= dh ? 8 : d + 32 <= dh ? 4 : 1;
                new Span<Vector256<float>>(sums, 8).Clear();
                for (int j = 0; j < keys;)
                {
                    int run = keyRows.Run(j, keys, out int row);
                    float* v = values + (long)row * inner + d;
                    if (width == 8) ValuesRunOne64(v, inner, p + j, run, sums);
                    else if (width == 4) ValuesRunOne32(v, inner, p + j, run, sums);
                    else ValuesRunOne8(v, inner, p + j, run, sums);
                    j += run;
                }
                for (int w = 0; w < width; w++, d += 8) sums[w].Store(y + d);
            }
        for (; d < dh; d++)
        {
            float sum = 0;
            for (int j = 0; j < keys;)
            {
                int run = keyRows.Run(j, keys, out int row);
                float* v = values + (long)row * inner + d;
                for (int end = j + run; j < end; j++, v += inner) sum += p[j] * *v;
            }
            y[d] = sum;
        }
    }

    /// <summary>sums[0..8) += p[e] · (8 vectors of value row e) for <paramref name="count"/> rows <paramref name="inner"/> apart.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static unsafe void ValuesRunOne64(float* v, int inner, float* p, int count, Vector256<float>* sums)
    {
        Vector256<float> a0 = sums[0], a1 = sums[1], a2 = sums[2], a3 = sums[3];
        Vector256<float> a4 = sums[4], a5 = sums[5], a6 = sums[6], a7 = sums[7];
        for (nint e = 0; e < count; e++, v += inner)
        {
            var c = Vector256.Create(p[e]);
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(v), c, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 8), c, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 16), c, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 24), c, a3);
            a4 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 32), c, a4);
            a5 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 40), c, a5);
            a6 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 48), c, a6);
            a7 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 56), c, a7);
        }
        sums[0] = a0; sums[1] = a1; sums[2] = a2; sums[3] = a3;
        sums[4] = a4; sums[5] = a5; sums[6] = a6; sums[7] = a7;
    }

    /// <summary><see cref="ValuesRunOne64"/> over 4 vectors.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static unsafe void ValuesRunOne32(float* v, int inner, float* p, int count, Vector256<float>* sums)
    {
        Vector256<float> a0 = sums[0], a1 = sums[1], a2 = sums[2], a3 = sums[3];
        for (nint e = 0; e < count; e++, v += inner)
        {
            var c = Vector256.Create(p[e]);
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(v), c, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 8), c, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 16), c, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 24), c, a3);
        }
        sums[0] = a0; sums[1] = a1; sums[2] = a2; sums[3] = a3;
    }

    /// <summary><see cref="ValuesRunOne64"/> over 1 vector.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static unsafe void ValuesRunOne8(float* v, int inner, float* p, int count, Vector256<float>* sums)
    {
        Vector256<float> a0 = sums[0];
        for (nint e = 0; e < count; e++, v += inner) a0 = Vector256.FusedMultiplyAdd(Vector256.Load(v), Vector256.Create(p[e]), a0);
        sums[0] = a0;
    }

    /// <summary>
    /// y[r] = Σ_j p[r · pStride + j] · v[j] over keys j in [0, keys) for 4 rows <paramref name="inner"/> apart, in
    /// key order, each product added as <see cref="HeadAccumulate"/> adds it into a cleared row, so the sums are
    /// bit for bit those of one key at a time. Two vectors of the head's columns at a time, 4 rows × 2 vectors
    /// of sums held in registers across a run of consecutive keys (<see cref="ValuesRun16"/>): a key's two value
    /// vectors and 4 broadcast weights feed 8 multiply-adds, where adding into the output rows key by key loaded
    /// and stored every output vector per key.
    /// </summary>
    static unsafe void ValuesOfFourRows<TRows>(float* values, int inner, TRows keyRows, int keys, float* p, int pStride, int dh, float* y)
        where TRows : struct, IKeyRows
    {
        var sums = stackalloc Vector256<float>[2 * QueryTile];
        int d = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; d + 8 <= dh; d += d + 16 <= dh ? 16 : 8)
            {
                bool pair = d + 16 <= dh;
                new Span<Vector256<float>>(sums, 2 * QueryTile).Clear();
                for (int j = 0; j < keys;)
                {
                    int run = keyRows.Run(j, keys, out int row);
                    float* v = values + (long)row * inner + d;
                    if (pair) ValuesRun16(v, inner, p + j, pStride, run, sums);
                    else ValuesRun8(v, inner, p + j, pStride, run, sums);
                    j += run;
                }
                for (int r = 0; r < QueryTile; r++)
                {
                    sums[2 * r].Store(y + (long)r * inner + d);
                    if (pair) sums[2 * r + 1].Store(y + (long)r * inner + d + 8);
                }
            }
        for (; d < dh; d++)
            for (int r = 0; r < QueryTile; r++)
            {
                float sum = 0;
                float* pr = p + (long)r * pStride;
                for (int j = 0; j < keys;)
                {
                    int run = keyRows.Run(j, keys, out int row);
                    float* v = values + (long)row * inner + d;
                    for (int end = j + run; j < end; j++, v += inner) sum += pr[j] * *v;
                }
                y[(long)r * inner + d] = sum;
            }
    }

    /// <summary>
    /// sums[2r], sums[2r + 1] += p[r · pStride + e] · (two vectors of value row e) for the <paramref name="count"/>
    /// rows from <paramref name="v"/> on (<paramref name="inner"/> apart). A method of its own, kept small, so the
    /// JIT keeps the 8 sums and the pointers in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static unsafe void ValuesRun16(float* v, int inner, float* p, int pStride, int count, Vector256<float>* sums)
    {
        float* p0 = p, p1 = p0 + pStride, p2 = p1 + pStride, p3 = p2 + pStride;
        Vector256<float> a0 = sums[0], b0 = sums[1], a1 = sums[2], b1 = sums[3];
        Vector256<float> a2 = sums[4], b2 = sums[5], a3 = sums[6], b3 = sums[7];
        for (nint e = 0; e < count; e++, v += inner)
        {
            var x0 = Vector256.Load(v);
            var x1 = Vector256.Load(v + 8);
            var c = Vector256.Create(p0[e]);
            a0 = Vector256.FusedMultiplyAdd(x0, c, a0);
            b0 = Vector256.FusedMultiplyAdd(x1, c, b0);
            c = Vector256.Create(p1[e]);
            a1 = Vector256.FusedMultiplyAdd(x0, c, a1);
            b1 = Vector256.FusedMultiplyAdd(x1, c, b1);
            c = Vector256.Create(p2[e]);
            a2 = Vector256.FusedMultiplyAdd(x0, c, a2);
            b2 = Vector256.FusedMultiplyAdd(x1, c, b2);
            c = Vector256.Create(p3[e]);
            a3 = Vector256.FusedMultiplyAdd(x0, c, a3);
            b3 = Vector256.FusedMultiplyAdd(x1, c, b3);
        }
        sums[0] = a0; sums[1] = b0; sums[2] = a1; sums[3] = b1;
        sums[4] = a2; sums[5] = b2; sums[6] = a3; sums[7] = b3;
    }

    /// <summary><see cref="ValuesRun16"/> for one vector of columns: sums[2r] only.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static unsafe void ValuesRun8(float* v, int inner, float* p, int pStride, int count, Vector256<float>* sums)
    {
        float* p0 = p, p1 = p0 + pStride, p2 = p1 + pStride, p3 = p2 + pStride;
        Vector256<float> a0 = sums[0], a1 = sums[2], a2 = sums[4], a3 = sums[6];
        for (nint e = 0; e < count; e++, v += inner)
        {
            var x0 = Vector256.Load(v);
            a0 = Vector256.FusedMultiplyAdd(x0, Vector256.Create(p0[e]), a0);
            a1 = Vector256.FusedMultiplyAdd(x0, Vector256.Create(p1[e]), a1);
            a2 = Vector256.FusedMultiplyAdd(x0, Vector256.Create(p2[e]), a2);
            a3 = Vector256.FusedMultiplyAdd(x0, Vector256.Create(p3[e]), a3);
        }
        sums[0] = a0; sums[2] = a1; sums[4] = a2; sums[6] = a3;
    }

    /// <summary>y += alpha · x over one head, inline, for the same reason as <see cref="HeadDot"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void HeadAccumulate(float* x, float alpha, float* y, int n)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var a = Vector256.Create(alpha);
            for (; i + 8 <= n; i += 8) Vector256.FusedMultiplyAdd(Vector256.Load(x + i), a, Vector256.Load(y + i)).Store(y + i);
        }
        for (; i < n; i++) y[i] += alpha * x[i];
    }
}
