using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace V2Meow.Runtime.Backends.Cpu;

/// <summary>
/// The video-family ops on the CPU. The patch embedding dominates the video encoder's first stage (6.4 GFLOP at
/// the paper's 96 frames of 224 × 224), so it runs as im2col per block of output rows and a register-tiled SIMD
/// product with the weights, as the codec's convolutions do; the others are row copies, element-wise loops and
/// the attention of the transformer ops with its keys limited to one window.
/// </summary>
public sealed partial class CpuBackend
{
    /// <summary>Output rows of one Conv3dPatches work item: its patches (rows × Ci·kt·kh·kw) stay in L1/L2 while they are used.</summary>
    const int PatchRows = 32;
    /// <summary>Rows of one register tile of the patch product.</summary>
    const int PatchTileRows = 4;
    /// <summary>Output channels of one register tile of the patch product: two SIMD vectors.</summary>
    static int PatchTileColumns => 2 * Vector<float>.Count;
    /// <summary>LSTM weight rows of one work item of the recurrent product.</summary>
    const int LstmRowBlock = 64;

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
        VideoChecks.Windowed(qs, ks, vs, ys, heads, queryWindow, keyWindow);
        RunAttention(qs.Rows, heads, (row, head, scores) => Attend(qs.Data, ks.Data, vs.Data, ys.Data, row, head, heads,
            new WindowKeyRows(row / queryWindow * keyWindow), keyWindow, queryPosition: row, bias: null, maxDistance: 0, scores));
    }

    /// <summary>Key j of a window is row First + j: the window's keys are consecutive rows.</summary>
    readonly struct WindowKeyRows(int first) : IKeyRows
    {
        public int Row(int key) => first + key;
    }

    /// <inheritdoc/>
    public void Guidance(DeviceTensor conditioned, DeviceTensor unconditioned, float scale, DeviceTensor output)
    {
        var (c, u, y) = (Own<CpuTensor>(conditioned, "conditioned"), Own<CpuTensor>(unconditioned, "unconditioned"), Own<CpuTensor>(output, "output"));
        VideoChecks.Guidance(c, u, y);
        float[] cs = c.Data, us = u.Data, ys = y.Data;
        ChunkedParallel.For(y.Length, _parallel, (at, n) =>
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

    /// <inheritdoc/>
    public void Lstm(DeviceTensor inputGates, DeviceTensor weightHh, DeviceTensor biasHh, DeviceTensor output)
    {
        var (g, w, b, y) = (Own<CpuTensor>(inputGates, "input gates"), Own<CpuTensor>(weightHh, "weight_hh"), Own<CpuTensor>(biasHh, "bias_hh"), Own<CpuTensor>(output, "output"));
        var (channels, frames) = VideoChecks.Lstm(g, w, b, y);
        if (channels == 0 || frames == 0) return;
        int rows = 4 * channels;
        float[] weights = w.Data, biases = b.Data;
        var pool = ArrayPool<float>.Shared;
        // Time-major copies of the input gates and of h: a step then reads and writes contiguous rows instead of
        // one element every T floats (a cache miss each at codec lengths); two transposes per call pay for that.
        float[] input = pool.Rent(rows * frames), hidden = pool.Rent(channels * frames);
        try
        {
            Transpose(g.Data, rows, frames, input);
            var cell = new float[channels];
            var gates = new float[rows];
            var zero = new float[channels];
            // The recurrent product is the whole cost (4C² multiply-adds a step, C = 512 at EnCodec's width); its
            // rows run in parallel blocks once a step is large enough to pay for the loop.
            bool parallel = (long)rows * channels >= ParallelThreshold;
            int blocks = (rows + LstmRowBlock - 1) / LstmRowBlock;
            for (int t = 0; t < frames; t++)
            {
                float[] previous = t == 0 ? zero : hidden;
                int at = t == 0 ? 0 : (t - 1) * channels;
                if (parallel)
                    Parallel.For(0, blocks, _parallel, block => Recurrent(weights, biases, previous, at, channels, gates,
                        block * LstmRowBlock, Math.Min(rows, (block + 1) * LstmRowBlock)));
                else Recurrent(weights, biases, previous, at, channels, gates, 0, rows);
                TensorPrimitives.Add(new ReadOnlySpan<float>(input, t * rows, rows), gates, gates);   // input + recurrent
                var i = gates.AsSpan(0, channels);
                var f = gates.AsSpan(channels, channels);
                var gg = gates.AsSpan(2 * channels, channels);
                var o = gates.AsSpan(3 * channels, channels);
                TensorPrimitives.Sigmoid(i, i);
                TensorPrimitives.Sigmoid(f, f);
                TensorPrimitives.Tanh(gg, gg);
                TensorPrimitives.Sigmoid(o, o);
                TensorPrimitives.Multiply(f, cell, f);   // σ(f)·c_{t−1}
                TensorPrimitives.Multiply(i, gg, i);     // σ(i)·tanh(g)
                TensorPrimitives.Add(f, i, cell);        // c_t
                TensorPrimitives.Tanh(cell, gg);
                TensorPrimitives.Multiply(o, gg, new Span<float>(hidden, t * channels, channels));   // h_t = σ(o)·tanh(c_t)
            }
            Transpose(hidden, frames, channels, y.Data);
        }
        finally
        {
            pool.Return(input);
            pool.Return(hidden);
        }
    }

    /// <summary>to [columns, rows] = from [rows, columns]ᵀ.</summary>
    static void Transpose(float[] from, int rows, int columns, float[] to)
    {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) to[c * rows + r] = from[r * columns + c];
    }

    /// <summary>gates[r] = W_hh[r, :]·h + b_hh[r] for rows [from, to), h = hidden[at … at + C): the dot product first, then the bias.</summary>
    static void Recurrent(float[] weights, float[] biases, float[] hidden, int at, int channels, float[] gates, int from, int to)
    {
        var h = new ReadOnlySpan<float>(hidden, at, channels);
        for (int r = from; r < to; r++)
            gates[r] = TensorPrimitives.Dot(new ReadOnlySpan<float>(weights, r * channels, channels), h) + biases[r];
    }
}
