using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace V2Meow.Runtime.Backends.Cpu;

/// <summary>
/// The video-family ops on the CPU. The patch embedding dominates the video encoder's first stage (6.4 GFLOP at
/// the paper's 96 frames of 224 × 224), so it runs as im2col per block of output rows and a register-tiled SIMD
/// product with the weights, as the codec's convolutions do; windowed attention tiles its scores and weighted values
/// per block of queries; the others are row copies and element-wise loops.
/// </summary>
public sealed partial class CpuBackend
{
    /// <summary>Output rows of one Conv3dPatches work item: its patches (rows × Ci·kt·kh·kw) stay in L1/L2 while they are used.</summary>
    const int PatchRows = 32;
    /// <summary>Rows of one register tile of the patch product.</summary>
    const int PatchTileRows = 4;
    /// <summary>Output channels of one register tile of the patch product: two SIMD vectors.</summary>
    static int PatchTileColumns => 2 * Vector<float>.Count;

    /// <inheritdoc/>
    public void Conv3dPatches(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, (int T, int H, int W) stride,
        (int T, int H, int W) padding, DeviceTensor output)
    {
        var (x, w, b, y) = (Own<CpuTensor>(input, "input"), Own<CpuTensor>(weight, "weight"), Own<CpuTensor>(bias, "bias"), Own<CpuTensor>(output, "output"));
        var shape = VideoChecks.Conv3d(x, w, b, stride, padding, y);
        int rows = shape.Rows, co = shape.OutChannels, taps = shape.Taps;
        if (rows == 0 || co == 0) return;

        // The weights packed per tile of 2 vectors of output channels, [tile][tap][2·vw], zero past Co: the tile loop
        // then streams them in order and never tests for a partial tile.
        int tileColumns = PatchTileColumns, tiles = (co + tileColumns - 1) / tileColumns, paddedCo = tiles * tileColumns;
        var pool = ArrayPool<float>.Shared;
        float[] packed = pool.Rent(Math.Max(1, tiles * taps * tileColumns));
        try
        {
            float[] ws = w.Data;
            for (int tile = 0; tile < tiles; tile++)
                for (int tap = 0; tap < taps; tap++)
                    for (int e = 0; e < tileColumns; e++)
                    {
                        int o = tile * tileColumns + e;
                        packed[(tile * taps + tap) * tileColumns + e] = o < co ? ws[o * taps + tap] : 0f;
                    }
            int blocks = (rows + PatchRows - 1) / PatchRows;
            Parallel.For(0, blocks, _parallel,
                () => (Patches: pool.Rent(Math.Max(1, PatchRows * taps)), Sums: pool.Rent(PatchRows * paddedCo)),
                (block, _, scratch) =>
                {
                    PatchBlock(shape, x.Data, packed, b.Data, y.Data, block * PatchRows, Math.Min(PatchRows, rows - block * PatchRows),
                        scratch.Patches, scratch.Sums, paddedCo);
                    return scratch;
                },
                scratch =>
                {
                    pool.Return(scratch.Patches);
                    pool.Return(scratch.Sums);
                });
        }
        finally
        {
            pool.Return(packed);
        }
    }

    /// <summary>
    /// Output rows [first, first + count): their patches (im2col, zeros where the window leaves the padded input),
    /// the product with the packed weights in 4-row tiles, then the bias, into output rows of Co.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void PatchBlock(Conv3dShape s, float[] input, float[] packed, float[] bias, float[] output, int first, int count,
        float[] patches, float[] sums, int paddedCo)
    {
        int taps = s.Taps, co = s.OutChannels, tileColumns = PatchTileColumns, tiles = paddedCo / tileColumns;
        int tiledRows = (count + PatchTileRows - 1) / PatchTileRows * PatchTileRows;
        fixed (float* xp = input, pp = patches, wp = packed, sp = sums)
        {
            for (int r = 0; r < count; r++) FillPatch(s, xp, first + r, pp + (long)r * taps);
            // Rows past the block's end to the whole tile: zeros, their sums are never stored.
            new Span<float>(pp + (long)count * taps, (tiledRows - count) * taps).Clear();
            for (int r = 0; r < tiledRows; r += PatchTileRows)
                for (int tile = 0; tile < tiles; tile++)
                    PatchTile(pp + (long)r * taps, taps, wp + (long)tile * taps * tileColumns, sp + (long)r * paddedCo + tile * tileColumns, paddedCo);
        }
        for (int r = 0; r < count; r++)
            TensorPrimitives.Add(new ReadOnlySpan<float>(sums, r * paddedCo, co), bias, new Span<float>(output, (first + r) * co, co));
    }

    /// <summary>The Ci·kt·kh·kw inputs under output row <paramref name="row"/>'s window, in the weight's (i, a, b, c) order.</summary>
    static unsafe void FillPatch(Conv3dShape s, float* x, int row, float* patch)
    {
        int plane = s.OutH * s.OutW, t = row / plane, hw = row - t * plane, oh = hw / s.OutW, ow = hw - oh * s.OutW;
        int f0 = t * s.Stride.T - s.Padding.T, y0 = oh * s.Stride.H - s.Padding.H, x0 = ow * s.Stride.W - s.Padding.W;
        int kt = s.KernelT, kh = s.KernelH, kw = s.KernelW;
        // The columns of the window inside [0, W): the same for every (i, a, b) of this row.
        int c0 = Math.Clamp(-x0, 0, kw), c1 = Math.Clamp(s.Width - x0, c0, kw);
        int at = 0;
        for (int i = 0; i < s.InChannels; i++)
            for (int a = 0; a < kt; a++)
            {
                int f = f0 + a;
                for (int bb = 0; bb < kh; bb++, at += kw)
                {
                    int yy = y0 + bb;
                    float* dst = patch + at;
                    if ((uint)f >= (uint)s.Frames || (uint)yy >= (uint)s.Height)
                    {
                        for (int c = 0; c < kw; c++) dst[c] = 0f;
                        continue;
                    }
                    float* src = x + ((long)(i * s.Frames + f) * s.Height + yy) * s.Width + x0;
                    for (int c = 0; c < c0; c++) dst[c] = 0f;
                    for (int c = c0; c < c1; c++) dst[c] = src[c];
                    for (int c = c1; c < kw; c++) dst[c] = 0f;
                }
            }
    }

    /// <summary>
    /// sums[r, 0 … 2·vw) = Σ_tap patches[r, tap] · packed[tap, 0 … 2·vw) for 4 rows: each weight vector loaded feeds 4
    /// rows and each broadcast patch value 2 vectors (6 loads per 8 fused multiply-adds). Kept small and not inlined,
    /// so the 8 accumulators stay in registers, as in <see cref="SumFourChannels"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static unsafe void PatchTile(float* patches, int taps, float* packed, float* sums, int sumStride)
    {
        int vw = Vector<float>.Count;
        float* p0 = patches, p1 = p0 + taps, p2 = p1 + taps, p3 = p2 + taps;
        Vector<float> a00 = default, a01 = default, a10 = default, a11 = default;
        Vector<float> a20 = default, a21 = default, a30 = default, a31 = default;
        for (int tap = 0; tap < taps; tap++)
        {
            float* wt = packed + (long)tap * 2 * vw;
            var w0 = Vector.Load(wt);
            var w1 = Vector.Load(wt + vw);
            var v = new Vector<float>(p0[tap]);
            a00 = Vector.FusedMultiplyAdd(w0, v, a00);
            a01 = Vector.FusedMultiplyAdd(w1, v, a01);
            v = new Vector<float>(p1[tap]);
            a10 = Vector.FusedMultiplyAdd(w0, v, a10);
            a11 = Vector.FusedMultiplyAdd(w1, v, a11);
            v = new Vector<float>(p2[tap]);
            a20 = Vector.FusedMultiplyAdd(w0, v, a20);
            a21 = Vector.FusedMultiplyAdd(w1, v, a21);
            v = new Vector<float>(p3[tap]);
            a30 = Vector.FusedMultiplyAdd(w0, v, a30);
            a31 = Vector.FusedMultiplyAdd(w1, v, a31);
        }
        Vector.Store(a00, sums);
        Vector.Store(a01, sums + vw);
        Vector.Store(a10, sums + sumStride);
        Vector.Store(a11, sums + sumStride + vw);
        Vector.Store(a20, sums + 2 * sumStride);
        Vector.Store(a21, sums + 2 * sumStride + vw);
        Vector.Store(a30, sums + 3 * sumStride);
        Vector.Store(a31, sums + 3 * sumStride + vw);
    }

    /// <inheritdoc/>
    public void GatherRows(DeviceTensor source, DeviceIntTensor indices, DeviceTensor output)
    {
        var (s, i, y) = (Own<CpuTensor>(source, "source"), Own<CpuIntTensor>(indices, "indices"), Own<CpuTensor>(output, "output"));
        var (n, d, m) = VideoChecks.Gather(s, i, y);
        // The indices are in host memory here, so a bad one is named rather than read out of bounds.
        VideoChecks.RowIndexRange(i.Data, n);
        float[] from = s.Data, to = y.Data;
        int[] ids = i.Data;
        ForRows(m, d, r => Array.Copy(from, ids[r] * d, to, r * d, d));
    }

    /// <inheritdoc/>
    public void PoolRows(DeviceTensor input, int group, RowPool mode, DeviceTensor output)
    {
        var (x, y) = (Own<CpuTensor>(input, "input"), Own<CpuTensor>(output, "output"));
        var (n, d) = VideoChecks.Pool(x, group, mode, y);
        float[] xs = x.Data, ys = y.Data;
        ForRows(n, d * group, r =>
        {
            var pooled = new Span<float>(ys, r * d, d);
            new ReadOnlySpan<float>(xs, r * group * d, d).CopyTo(pooled);
            // Element-wise over the group's rows in order: each column is the same sequence of f32 operations
            // as a scalar loop, whatever the vector width.
            for (int a = 1; a < group; a++)
            {
                var row = new ReadOnlySpan<float>(xs, (r * group + a) * d, d);
                if (mode == RowPool.Max) TensorPrimitives.Max(pooled, row, pooled);
                else TensorPrimitives.Add(pooled, row, pooled);
            }
            if (mode == RowPool.Mean) TensorPrimitives.Divide(pooled, group, pooled);
        });
    }

    /// <inheritdoc/>
    public void WindowedAttention(DeviceTensor q, DeviceTensor k, DeviceTensor v, DeviceTensor output, AttentionHeads heads,
        int queryWindow, int keyWindow)
    {
        var (qs, ks, vs, ys) = (Own<CpuTensor>(q, "q"), Own<CpuTensor>(k, "k"), Own<CpuTensor>(v, "v"), Own<CpuTensor>(output, "output"));
        int windows = VideoChecks.Windowed(qs, ks, vs, ys, heads, queryWindow, keyWindow);
        // One work item per (window, head, block of queries): the block's scores [queries, keys] come from a register
        // tile of dot products and its outputs from one of weighted value rows, rather than one library call per
        // (query, key) pair with its own horizontal sum as in AttendBlock (which keeps that order so that its results do not
        // depend on blocking), whose cost dominates at Hiera's 64-key windows and 96-wide heads.
        int blocks = (queryWindow + AttentionQueryBlock - 1) / AttentionQueryBlock;
        int items = windows * heads.Heads * blocks;
        Parallel.For(0, items, _parallel, () => new ScoreBuffer(), (item, _, buffer) =>
        {
            int block = item % blocks, head = item / blocks % heads.Heads, window = item / blocks / heads.Heads;
            int first = block * AttentionQueryBlock, count = Math.Min(AttentionQueryBlock, queryWindow - first);
            AttendWindowBlock(qs.Data, ks.Data, vs.Data, ys.Data, heads, head, window * queryWindow + first, count,
                window * keyWindow, keyWindow, buffer.Take(count * keyWindow));
            return buffer;
        }, _ => { });
    }

    /// <summary>
    /// softmax(Scale·q·kⱼ) over the window's keys, times v, for queries [firstQuery, firstQuery + count) of one head
    /// (the same f32 steps as <see cref="AttendBlock"/>: scores scaled, the max subtracted, exp, the weighted sum of values,
    /// then 1/sum; only the summation order of the dot products differs). Each query's slice is read, in the score
    /// pass, before any output of the block is written, so the output may be q.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void AttendWindowBlock(float[] q, float[] k, float[] v, float[] y, AttentionHeads heads, int head,
        int firstQuery, int count, int firstKey, int keys, Span<float> scores)
    {
        int dh = heads.HeadDim, inner = heads.Inner, offset = head * dh;
        Span<float> inverse = stackalloc float[AttentionQueryBlock];
        fixed (float* qb = q, kb = k, vb = v, yb = y, sp = scores)
        {
            float* qp = qb + (long)firstQuery * inner + offset, kp = kb + (long)firstKey * inner + offset;
            float* vp = vb + (long)firstKey * inner + offset, yp = yb + (long)firstQuery * inner + offset;
            int i = 0;
            for (; i + 4 <= count; i += 4)
            {
                int j = 0;
                for (; j + 2 <= keys; j += 2) ScoreTile(qp + (long)i * inner, kp + (long)j * inner, inner, dh, sp + i * keys + j, keys);
                for (; j < keys; j++)
                    for (int r = i; r < i + 4; r++) sp[r * keys + j] = DotRow(qp + (long)r * inner, kp + (long)j * inner, dh);
            }
            for (; i < count; i++)
                for (int j = 0; j < keys; j++) sp[i * keys + j] = DotRow(qp + (long)i * inner, kp + (long)j * inner, dh);

            for (int r = 0; r < count; r++)
            {
                var row = scores.Slice(r * keys, keys);
                TensorPrimitives.Multiply(row, heads.Scale, row);
                float max = TensorPrimitives.Max(row);
                TensorPrimitives.Subtract(row, max, row);
                TensorPrimitives.Exp(row, row);
                inverse[r] = 1f / TensorPrimitives.Sum(row);
            }

            i = 0;
            for (; i + 4 <= count; i += 4) WeightedValues4(sp + i * keys, keys, vp, inner, dh, yp + (long)i * inner);
            for (; i < count; i++) WeightedValues1(sp + i * keys, keys, vp, inner, dh, yp + (long)i * inner);
            for (int r = 0; r < count; r++)
            {
                var row = new Span<float>(yp + (long)r * inner, dh);
                TensorPrimitives.Multiply(row, inverse[r], row);
            }
        }
    }

    /// <summary>Queries of one work item of <see cref="WindowedAttention"/>: 16 rows of scores of a window fit in L1.</summary>
    const int AttentionQueryBlock = 16;

    /// <summary>q·k over one head's <paramref name="dh"/> columns.</summary>
    static unsafe float DotRow(float* q, float* k, int dh) =>
        TensorPrimitives.Dot(new ReadOnlySpan<float>(q, dh), new ReadOnlySpan<float>(k, dh));

    /// <summary>
    /// The dot products of 4 query rows with 2 key rows (rows <paramref name="stride"/> apart) into scores[r, 0 … 2):
    /// 8 vector accumulators, 6 loads per 8 fused multiply-adds; the dh tail past whole vectors is scalar.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static unsafe void ScoreTile(float* q, float* k, int stride, int dh, float* scores, int scoreStride)
    {
        int vw = Vector<float>.Count;
        float* q0 = q, q1 = q + stride, q2 = q1 + stride, q3 = q2 + stride, k0 = k, k1 = k + stride;
        Vector<float> a00 = default, a01 = default, a10 = default, a11 = default;
        Vector<float> a20 = default, a21 = default, a30 = default, a31 = default;
        int c = 0;
        for (; c + vw <= dh; c += vw)
        {
            var u0 = Vector.Load(k0 + c);
            var u1 = Vector.Load(k1 + c);
            var x = Vector.Load(q0 + c);
            a00 = Vector.FusedMultiplyAdd(x, u0, a00);
            a01 = Vector.FusedMultiplyAdd(x, u1, a01);
            x = Vector.Load(q1 + c);
            a10 = Vector.FusedMultiplyAdd(x, u0, a10);
            a11 = Vector.FusedMultiplyAdd(x, u1, a11);
            x = Vector.Load(q2 + c);
            a20 = Vector.FusedMultiplyAdd(x, u0, a20);
            a21 = Vector.FusedMultiplyAdd(x, u1, a21);
            x = Vector.Load(q3 + c);
            a30 = Vector.FusedMultiplyAdd(x, u0, a30);
            a31 = Vector.FusedMultiplyAdd(x, u1, a31);
        }
        float s00 = Vector.Sum(a00), s01 = Vector.Sum(a01), s10 = Vector.Sum(a10), s11 = Vector.Sum(a11);
        float s20 = Vector.Sum(a20), s21 = Vector.Sum(a21), s30 = Vector.Sum(a30), s31 = Vector.Sum(a31);
        for (; c < dh; c++)
        {
            s00 += q0[c] * k0[c]; s01 += q0[c] * k1[c];
            s10 += q1[c] * k0[c]; s11 += q1[c] * k1[c];
            s20 += q2[c] * k0[c]; s21 += q2[c] * k1[c];
            s30 += q3[c] * k0[c]; s31 += q3[c] * k1[c];
        }
        scores[0] = s00; scores[1] = s01;
        scores[scoreStride] = s10; scores[scoreStride + 1] = s11;
        scores[2 * scoreStride] = s20; scores[2 * scoreStride + 1] = s21;
        scores[3 * scoreStride] = s30; scores[3 * scoreStride + 1] = s31;
    }

    /// <summary>
    /// y[r, :] = Σ_j weights[r, j] · v[j, :] for 4 rows, 2 vectors of columns at a time (8 accumulators: each value
    /// vector loaded feeds 4 rows), the columns past whole pairs of vectors one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static unsafe void WeightedValues4(float* weights, int keys, float* v, int stride, int dh, float* y)
    {
        int vw = Vector<float>.Count, c = 0;
        float* w0 = weights, w1 = w0 + keys, w2 = w1 + keys, w3 = w2 + keys;
        for (; c + 2 * vw <= dh; c += 2 * vw)
        {
            Vector<float> a00 = default, a01 = default, a10 = default, a11 = default;
            Vector<float> a20 = default, a21 = default, a30 = default, a31 = default;
            for (int j = 0; j < keys; j++)
            {
                float* row = v + (long)j * stride + c;
                var u0 = Vector.Load(row);
                var u1 = Vector.Load(row + vw);
                var p = new Vector<float>(w0[j]);
                a00 = Vector.FusedMultiplyAdd(u0, p, a00);
                a01 = Vector.FusedMultiplyAdd(u1, p, a01);
                p = new Vector<float>(w1[j]);
                a10 = Vector.FusedMultiplyAdd(u0, p, a10);
                a11 = Vector.FusedMultiplyAdd(u1, p, a11);
                p = new Vector<float>(w2[j]);
                a20 = Vector.FusedMultiplyAdd(u0, p, a20);
                a21 = Vector.FusedMultiplyAdd(u1, p, a21);
                p = new Vector<float>(w3[j]);
                a30 = Vector.FusedMultiplyAdd(u0, p, a30);
                a31 = Vector.FusedMultiplyAdd(u1, p, a31);
            }
            Vector.Store(a00, y + c);
            Vector.Store(a01, y + c + vw);
            Vector.Store(a10, y + stride + c);
            Vector.Store(a11, y + stride + c + vw);
            Vector.Store(a20, y + 2 * stride + c);
            Vector.Store(a21, y + 2 * stride + c + vw);
            Vector.Store(a30, y + 3 * stride + c);
            Vector.Store(a31, y + 3 * stride + c + vw);
        }
        for (; c < dh; c++)
        {
            float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
            for (int j = 0; j < keys; j++)
            {
                float u = v[(long)j * stride + c];
                a0 += w0[j] * u;
                a1 += w1[j] * u;
                a2 += w2[j] * u;
                a3 += w3[j] * u;
            }
            y[c] = a0;
            y[stride + c] = a1;
            y[2 * stride + c] = a2;
            y[3 * stride + c] = a3;
        }
    }

    /// <summary>One row of <see cref="WeightedValues4"/>: the block's last rows.</summary>
    static unsafe void WeightedValues1(float* weights, int keys, float* v, int stride, int dh, float* y)
    {
        var output = new Span<float>(y, dh);
        output.Clear();
        for (int j = 0; j < keys; j++)
            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(v + (long)j * stride, dh), weights[j], output, output);
    }

    /// <inheritdoc/>
    public void Guidance(DeviceTensor conditioned, DeviceTensor unconditioned, float scale, DeviceTensor output)
    {
        var (c, u, y) = (Own<CpuTensor>(conditioned, "conditioned"), Own<CpuTensor>(unconditioned, "unconditioned"), Own<CpuTensor>(output, "output"));
        VideoChecks.Guidance(c, u, y);
        float[] cs = c.Data, us = u.Data, ys = y.Data;
        ChunkedParallel.For(y.Length, _workers, (at, n) =>
            GuidanceChunk(new ReadOnlySpan<float>(cs, at, n), new ReadOnlySpan<float>(us, at, n), scale, new Span<float>(ys, at, n)));
    }

    /// <summary>
    /// y = u + s·(c − u): a difference, a product and a sum, each rounded (the JIT does not contract vector
    /// multiply-adds into fused ones). Each element is read before it is written, so y may be c or u.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void GuidanceChunk(ReadOnlySpan<float> c, ReadOnlySpan<float> u, float scale, Span<float> y)
    {
        int i = 0, vw = Vector<float>.Count;
        var s = new Vector<float>(scale);
        for (; i <= y.Length - vw; i += vw)
        {
            var uv = new Vector<float>(u[i..]);
            var difference = new Vector<float>(c[i..]) - uv;
            var step = s * difference;
            (uv + step).CopyTo(y[i..]);
        }
        for (; i < y.Length; i++)
        {
            float difference = c[i] - u[i];
            float step = scale * difference;
            y[i] = u[i] + step;
        }
    }
}
