using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace V2Meow.Runtime.Backends.Cpu;

/// <summary>
/// The codec ops on the CPU. The convolutions dominate decoding (billions of multiply-adds for ten
/// seconds of 16 kHz audio at a few hundred channels), so they run a register-tiled SIMD loop rather than
/// one TensorPrimitives call per (channel, tap): see <see cref="ConvolveRows"/>.
/// </summary>
public sealed partial class CpuBackend
{
    /// <summary>Output channels of one register tile.</summary>
    const int ChannelTile = 4;
    /// <summary>SIMD vectors of samples in one register tile: 4 × 3 accumulators, 3 input vectors and a broadcast fill the 16 registers.</summary>
    const int TileVectors = 3;
    /// <summary>Samples of one register tile.</summary>
    static int TimeTile => TileVectors * Vector<float>.Count;
    /// <summary>Output channels per work item of the transposed convolution's weight reordering.</summary>
    const int ReorderBlock = 16;
    /// <summary>Samples of one work item: long enough to amortise the call, short enough for many items per core; whole tiles of 8- and 16-lane vectors.</summary>
    const int TimeChunk = 480;
    /// <summary>LSTM weight rows of one work item of the recurrent product.</summary>
    const int LstmRowBlock = 64;

    /// <inheritdoc/>
    public void RvqLookup(DeviceTensor codebooks, DeviceIntTensor codes, int levels, DeviceTensor output)
    {
        var (cb, ids, y) = (Own<CpuTensor>(codebooks, "codebooks"), Own<CpuIntTensor>(codes, "codes"), Own<CpuTensor>(output, "output"));
        var (_, k, d, frames) = CodecChecks.Rvq(cb, ids, levels, y);
        // The codes are in host memory here, so a bad one is named rather than read out of bounds.
        CodecChecks.RvqCodeRange(ids.Data, levels, frames, k);
        float[] books = cb.Data, latent = y.Data;
        Array.Clear(latent, 0, y.Length);
        // Levels in order, as the reference sums them, so the latent is bit-identical to it.
        for (int q = 0; q < levels; q++)
            for (int t = 0; t < frames; t++)
            {
                int row = (q * k + ids.Data[q * frames + t]) * d;
                for (int c = 0; c < d; c++) latent[c * frames + t] += books[row + c];
            }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Frames go in blocks of one SIMD vector, a frame per lane: the latent is channels first, so a block's
    /// residual is D contiguous vectors, and each code's distance is D broadcast-subtract-square-add steps for
    /// all lanes at once, in the order the contract fixes (the JIT does not fuse a multiply into an add). Four
    /// codes run side by side to hide the add latency; they are compared in code order, strict less, so a tie
    /// keeps the lower code. Blocks run in parallel.
    /// </remarks>
    public void RvqEncode(DeviceTensor codebooks, DeviceTensor latent, int levels, DeviceIntTensor codes)
    {
        var (cb, z, ids) = (Own<CpuTensor>(codebooks, "codebooks"), Own<CpuTensor>(latent, "latent"), Own<CpuIntTensor>(codes, "codes"));
        var (_, k, d, frames) = CodecChecks.RvqEncode(cb, z, levels, ids);
        if (frames == 0) return;
        int vw = Vector<float>.Count;
        int blocks = (frames + vw - 1) / vw;
        float[] books = cb.Data, values = z.Data;
        int[] chosen = ids.Data;
        _workers.For(blocks, block =>
            EncodeFrames(books, values, chosen, new RvqShape(levels, k, d, frames), block * vw, Math.Min(vw, frames - block * vw)));
    }

    readonly record struct RvqShape(int Levels, int CodebookSize, int Dim, int Frames);

    /// <summary>Codes of frames [t0, t0 + n), n ≤ one vector, every level (SPEC §9.3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void EncodeFrames(float[] books, float[] latent, int[] codes, RvqShape shape, int t0, int n)
    {
        int vw = Vector<float>.Count, k = shape.CodebookSize, d = shape.Dim, frames = shape.Frames;
        float[] residual = ArrayPool<float>.Shared.Rent(d * vw);
        Span<int> best = stackalloc int[vw];
        try
        {
            // residual[j·vw + lane] = latent[j, t0 + lane]; lanes past the last frame hold zeros and are never written out.
            for (int j = 0; j < d; j++)
                for (int lane = 0; lane < vw; lane++)
                    residual[j * vw + lane] = lane < n ? latent[j * frames + t0 + lane] : 0f;
            fixed (float* r = residual, cb = books)
            {
                for (int q = 0; q < shape.Levels; q++)
                {
                    float* level = cb + (long)q * k * d;
                    var nearest = NearestCodes(r, level, k, d);
                    nearest.CopyTo(best);
                    for (int lane = 0; lane < n; lane++)
                    {
                        int code = best[lane];
                        codes[q * frames + t0 + lane] = code;
                        float* c = level + (long)code * d;
                        for (int j = 0; j < d; j++) r[j * vw + lane] -= c[j];
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(residual);
        }
    }

    /// <summary>
    /// Per lane, the code of <paramref name="book"/> [K, D] nearest the residual column r[j·vw + lane]: the first
    /// smallest of dist[k] = Σ_j (r[j] − c[k, j])², each step rounded (SPEC §9.3).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static unsafe Vector<int> NearestCodes(float* r, float* book, int k, int d)
    {
        int vw = Vector<float>.Count;
        var bestDistance = new Vector<float>(float.PositiveInfinity);
        var bestCode = Vector<int>.Zero;
        int code = 0;
        for (; code + 4 <= k; code += 4)
        {
            float* c0 = book + (long)code * d;
            float* c1 = c0 + d, c2 = c1 + d, c3 = c2 + d;
            Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int j = 0; j < d; j++)
            {
                var x = Vector.Load(r + j * vw);
                var e0 = x - new Vector<float>(c0[j]);
                var e1 = x - new Vector<float>(c1[j]);
                var e2 = x - new Vector<float>(c2[j]);
                var e3 = x - new Vector<float>(c3[j]);
                a0 += e0 * e0;
                a1 += e1 * e1;
                a2 += e2 * e2;
                a3 += e3 * e3;
            }
            Keep(a0, code, ref bestDistance, ref bestCode);
            Keep(a1, code + 1, ref bestDistance, ref bestCode);
            Keep(a2, code + 2, ref bestDistance, ref bestCode);
            Keep(a3, code + 3, ref bestDistance, ref bestCode);
        }
        for (; code < k; code++)
        {
            float* c = book + (long)code * d;
            Vector<float> a = default;
            for (int j = 0; j < d; j++)
            {
                var e = Vector.Load(r + j * vw) - new Vector<float>(c[j]);
                a += e * e;
            }
            Keep(a, code, ref bestDistance, ref bestCode);
        }
        return bestCode;
    }

    /// <summary>Takes <paramref name="code"/> in the lanes where its distance is strictly smaller: ties keep the earlier, lower code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Keep(Vector<float> distance, int code, ref Vector<float> bestDistance, ref Vector<int> bestCode)
    {
        var closer = Vector.LessThan(distance, bestDistance);
        bestDistance = Vector.ConditionalSelect(closer, distance, bestDistance);
        bestCode = Vector.ConditionalSelect(closer, new Vector<int>(code), bestCode);
    }

    /// <inheritdoc/>
    public void Conv1d(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
        int dilation, ConvPadding padding, DeviceTensor? residual = null)
    {
        var (x, w, b, y) = (Own<CpuTensor>(input, "input"), Own<CpuTensor>(weight, "weight"), Own<CpuTensor>(bias, "bias"), Own<CpuTensor>(output, "output"));
        var r = residual is null ? null : Own<CpuTensor>(residual, "residual");
        var (ci, co, length, k) = CodecChecks.Conv(x, w, b, y, dilation, r);
        if (length == 0 || co == 0) return;

        int padLeft = CodecChecks.PadLeft(k, dilation, padding);
        int stride = RoundUp(length, TimeTile) + (k - 1) * dilation;
        float[] padded = ArrayPool<float>.Shared.Rent(ci * stride);
        try
        {
            // A zero-padded copy of the input: the inner loop then reads whole vectors with no bounds tests,
            // and the output may alias the residual (each row is read before it is written).
            for (int i = 0; i < ci; i++)
            {
                var row = padded.AsSpan(i * stride, stride);
                row[..padLeft].Clear();
                x.Data.AsSpan(i * length, length).CopyTo(row[padLeft..]);
                row[(padLeft + length)..].Clear();
            }
            ConvolveRows(padded, stride, ci, w.Data, co, k, dilation, length, b.Data, r?.Data, y.Data);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(padded);
        }
    }

    /// <inheritdoc/>
    public void ConvTranspose1d(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
        int stride, ConvPadding padding)
    {
        var (x, w, b, y) = (Own<CpuTensor>(input, "input"), Own<CpuTensor>(weight, "weight"), Own<CpuTensor>(bias, "bias"), Own<CpuTensor>(output, "output"));
        var (ci, co, frames, k) = CodecChecks.ConvTranspose(x, w, b, y, stride);
        int outLength = frames * stride;
        if (outLength == 0 || co == 0) return;

        // Polyphase form: full sample τ = q·s + r only receives taps j = r + m·s (m = 0, 1, …) from frame q − m,
        // so phase r is an ordinary stride-1 convolution over the frames with taps reversed, computed for
        // q = 0 … T (T + 1 outputs: the trimmed window reaches into frame T's tail when centred). That turns
        // the upsampling into the same register-tiled loop as Conv1d instead of a scatter.
        int taps = (k + stride - 1) / stride;
        int phaseLength = frames + 1;
        int start = CodecChecks.TransposedStart(stride, padding);
        int rowStride = RoundUp(phaseLength, TimeTile) + taps - 1;
        var pool = ArrayPool<float>.Shared;
        float[] padded = pool.Rent(ci * rowStride);
        int phaseSize = co * ci * taps;
        float[] phaseWeights = pool.Rent(stride * phaseSize);
        float[] phases = pool.Rent(stride * co * phaseLength);
        try
        {
            // Left-pad by taps − 1 so that reversed tap m' = taps − 1 − m reads frame q − m at offset q + m'.
            for (int i = 0; i < ci; i++)
            {
                var row = padded.AsSpan(i * rowStride, rowStride);
                row[..(taps - 1)].Clear();
                x.Data.AsSpan(i * frames, frames).CopyTo(row[(taps - 1)..]);
                row[(taps - 1 + frames)..].Clear();
            }
            // Every phase's weights in one pass over W, rather than one strided gather over all of W per phase: at
            // 100 frames the gathers cost as much as the convolution. Work items are blocks of 16 output channels:
            // per input channel, W's 16 rows of k taps are one contiguous read, and each (channel, phase) run of
            // ci · taps weights is written in order, so reads and writes stay within a few pages (split over the
            // input channels or the single output channels, the same pass was 1.5× and 1.9× slower).
            // Phase p's tap m is W[i, o, p + (taps − 1 − m)·s], zero past k.
            float[] wt = w.Data;
            _workers.For((co + ReorderBlock - 1) / ReorderBlock, block =>
            {
                int o0 = block * ReorderBlock, o1 = Math.Min(co, o0 + ReorderBlock);
                for (int i = 0; i < ci; i++)
                    for (int o = o0; o < o1; o++)
                    {
                        int source = (i * co + o) * k, target = (o * ci + i) * taps;
                        for (int phase = 0; phase < stride; phase++)
                            for (int m = 0; m < taps; m++)
                            {
                                int j = phase + (taps - 1 - m) * stride;
                                phaseWeights[phase * phaseSize + target + m] = j < k ? wt[source + j] : 0f;
                            }
                    }
            });
            // The phases stacked are one convolution with s · co output channels over the same input (phase p's
            // channel o is row p · co + o of both the weights and the output): one pass of work items for all.
            ConvolveRows(padded, rowStride, ci, phaseWeights, stride * co, taps, 1, phaseLength, null, null, phases);
            float[] biases = b.Data, result = y.Data;
            _workers.For(co, o => InterleavePhases(phases, co, phaseLength, stride, start, biases[o], o,
                result.AsSpan(o * outLength, outLength)));
        }
        finally
        {
            pool.Return(padded);
            pool.Return(phaseWeights);
            pool.Return(phases);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Polyphase form: with j = m·s + p, xp[i, t·s + j] = phase_{i,p}[t + m] where phase_{i,p}[u] = xp[i, u·s + p],
    /// so the strided convolution is a stride-1 one over Ci·s phase rows with ⌈k/s⌉ taps (weights W[o, i, m·s + p],
    /// zero past k): the same register-tiled loop as <see cref="Conv1d"/>, at the output rate.
    /// </remarks>
    public void StridedConv1d(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
        int stride, ConvPadding padding)
    {
        var (x, w, b, y) = (Own<CpuTensor>(input, "input"), Own<CpuTensor>(weight, "weight"), Own<CpuTensor>(bias, "bias"), Own<CpuTensor>(output, "output"));
        var (ci, co, length, k) = CodecChecks.StridedConv(x, w, b, y, stride);
        int outLength = length / stride;
        if (outLength == 0 || co == 0) return;

        int padLeft = CodecChecks.StridedPadLeft(k, stride, padding);
        int taps = (k + stride - 1) / stride;
        int rows = ci * stride;
        int rowStride = RoundUp(outLength, TimeTile) + taps - 1;
        var pool = ArrayPool<float>.Shared;
        float[] padded = pool.Rent(rows * rowStride);
        float[] phaseWeights = pool.Rent(co * rows * taps);
        try
        {
            float[] xs = x.Data, wt = w.Data;
            _workers.For(rows, row =>
            {
                int i = row / stride, phase = row - i * stride;
                var to = padded.AsSpan(row * rowStride, rowStride);
                var from = xs.AsSpan(i * length, length);
                for (int u = 0; u < rowStride; u++)
                {
                    int source = u * stride + phase - padLeft;
                    to[u] = (uint)source < (uint)length ? from[source] : 0f;
                }
            });
            for (int o = 0; o < co; o++)
                for (int i = 0; i < ci; i++)
                    for (int phase = 0; phase < stride; phase++)
                        for (int m = 0; m < taps; m++)
                        {
                            int j = m * stride + phase;
                            phaseWeights[(o * rows + i * stride + phase) * taps + m] = j < k ? wt[(o * ci + i) * k + j] : 0f;
                        }
            ConvolveRows(padded, rowStride, rows, phaseWeights, co, taps, 1, outLength, b.Data, null, y.Data);
        }
        finally
        {
            pool.Return(padded);
            pool.Return(phaseWeights);
        }
    }

    /// <inheritdoc/>
    public void Elu(DeviceTensor input, DeviceTensor output)
    {
        var (x, y) = (Own<CpuTensor>(input, "input"), Own<CpuTensor>(output, "output"));
        TensorChecks.SameLength(x, y, "elu");
        float[] xs = x.Data, ys = y.Data;
        ChunkedParallel.For(x.Length, _workers, (at, n) => EluChunk(new ReadOnlySpan<float>(xs, at, n), new Span<float>(ys, at, n)));
    }

    /// <summary>
    /// ELU(x) = x for x &gt; 0, exp(x) − 1 otherwise, as a select so positive inputs pass through unrounded
    /// (a vectorised exp(0) need not be exactly 1), with <see cref="NonPositiveExp"/>'s f32 exp. Each element
    /// is read before it is written: y may be x. Fully optimised from its first call, since a decode is often
    /// the only one in its process.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void EluChunk(ReadOnlySpan<float> x, Span<float> y)
    {
        ref float from = ref MemoryMarshal.GetReference(x);
        ref float to = ref MemoryMarshal.GetReference(y);
        nuint i = 0, length = (nuint)x.Length, vw = (nuint)Vector<float>.Count;
        for (; i + vw <= length; i += vw) Elu(Vector.LoadUnsafe(ref from, i)).StoreUnsafe(ref to, i);
        if (i == length) return;
        // The last partial vector through the same exp, from a zero-padded copy, so an element's result does not
        // depend on where it falls in the tensor.
        Span<float> tail = stackalloc float[Vector<float>.Count];
        tail.Clear();
        x[(int)i..].CopyTo(tail);
        Elu(new Vector<float>(tail)).CopyTo(tail);
        tail[..(int)(length - i)].CopyTo(y[(int)i..]);
    }

    static Vector<float> Elu(Vector<float> v)
    {
        var negative = NonPositiveExp.Exp(Vector.Min(v, Vector<float>.Zero)) - Vector<float>.One;
        return Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), v, negative);
    }

    /// <inheritdoc/>
    public void Snake(DeviceTensor input, DeviceTensor alpha, DeviceTensor output)
    {
        var (x, a, y) = (Own<CpuTensor>(input, "input"), Own<CpuTensor>(alpha, "alpha"), Own<CpuTensor>(output, "output"));
        var (channels, length) = CodecChecks.Snake(x, a, y);
        float[] xs = x.Data, alphas = a.Data, ys = y.Data;
        int chunks = (length + ChunkedParallel.Chunk - 1) / ChunkedParallel.Chunk;
        _workers.For(channels * chunks, job =>
        {
            int c = job / chunks, at = c * length + job % chunks * ChunkedParallel.Chunk;
            int n = Math.Min(ChunkedParallel.Chunk, (c + 1) * length - at);
            SnakeChunk(new ReadOnlySpan<float>(xs, at, n), alphas[c], new Span<float>(ys, at, n));
        });
    }

    /// <summary>
    /// x + sin²(α·x) / (α + 1e-9) in float32, the division kept (not a reciprocal) to round as the reference
    /// does. TensorPrimitives.Sin is vectorised with full range reduction. y may be x.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void SnakeChunk(ReadOnlySpan<float> x, float alpha, Span<float> y)
    {
        Span<float> s = stackalloc float[256];
        float divisor = alpha + 1e-9f;
        for (int i = 0; i < x.Length; i += s.Length)
        {
            int n = Math.Min(s.Length, x.Length - i);
            var block = s[..n];
            TensorPrimitives.Multiply(x.Slice(i, n), alpha, block);
            TensorPrimitives.Sin(block, block);
            TensorPrimitives.Multiply(block, block, block);
            TensorPrimitives.Divide(block, divisor, block);
            TensorPrimitives.Add(x.Slice(i, n), block, y.Slice(i, n));
        }
    }

    /// <inheritdoc/>
    public void Tanh(DeviceTensor input, DeviceTensor output)
    {
        var (x, y) = (Own<CpuTensor>(input, "input"), Own<CpuTensor>(output, "output"));
        TensorChecks.SameLength(x, y, "tanh");
        float[] xs = x.Data, ys = y.Data;
        ChunkedParallel.For(x.Length, _workers, (at, n) => TensorPrimitives.Tanh(new ReadOnlySpan<float>(xs, at, n), new Span<float>(ys, at, n)));
    }

    /// <inheritdoc/>
    public void Lstm(DeviceTensor inputGates, DeviceTensor weightHh, DeviceTensor biasHh, DeviceTensor output)
    {
        var (g, w, b, y) = (Own<CpuTensor>(inputGates, "input gates"), Own<CpuTensor>(weightHh, "weight_hh"), Own<CpuTensor>(biasHh, "bias_hh"), Own<CpuTensor>(output, "output"));
        var (channels, frames) = CodecChecks.Lstm(g, w, b, y);
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
                    _workers.For(blocks, block => Recurrent(weights, biases, previous, at, channels, gates,
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

    /// <summary>y[u] = bias + phases[r, o, q] for full sample u + start = q·s + r: the phases back in time order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void InterleavePhases(float[] phases, int co, int phaseLength, int stride, int start, float bias, int o, Span<float> y)
    {
        for (int u = 0; u < y.Length; u++)
        {
            int full = u + start, q = full / stride, phase = full - q * stride;
            y[u] = bias + phases[(phase * co + o) * phaseLength + q];
        }
    }

    static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>
    /// y[o, t] = bias[o] + Σ_i Σ_{j&lt;k} w[o, i, j] · padded[i, t + j·δ] (+ residual[o, t]) for t &lt; length,
    /// into output[o·length + t], the weights w[o, i, j] read from w[(o·ci + i)·k + j]. Padded rows are
    /// <paramref name="stride"/> apart and readable up to RoundUp(length, TimeTile) + (k − 1)·δ. The register
    /// tile is 4 output channels × 3 vectors of samples: every input vector loaded feeds 4 channels and every
    /// weight broadcast 3 vectors (7 loads per 12 fused multiply-adds, and 12 independent sums to cover the
    /// multiply-add's latency), which keeps one core near its FMA peak on cached data.
    /// </summary>
    void ConvolveRows(float[] padded, int stride, int ci, float[] w, int co, int k, int dilation, int length,
        float[]? bias, float[]? residual, float[] output)
    {
        int channelTiles = (co + ChannelTile - 1) / ChannelTile;
        int chunks = (length + TimeChunk - 1) / TimeChunk;
        // Each work item is one time chunk × a run of channel tiles, so the chunk of input it reads stays in
        // L2 across those tiles; the channel tiles are split into more runs only where there are too few
        // chunks to keep every core busy (short inputs, as at the first layers).
        int runs = Math.Clamp((4 * _parallel.MaxDegreeOfParallelism + chunks - 1) / chunks, 1, channelTiles);
        int tilesPerRun = (channelTiles + runs - 1) / runs;
        var shape = new ConvShape(stride, ci, k, dilation, length);
        _workers.For(chunks * runs, item =>
        {
            int chunk = item / runs, run = item - chunk * runs;
            int t0 = chunk * TimeChunk, t1 = Math.Min(length, t0 + TimeChunk);
            int firstTile = run * tilesPerRun, lastTile = Math.Min(channelTiles, firstTile + tilesPerRun);
            for (int tile = firstTile; tile < lastTile; tile++)
            {
                int o0 = tile * ChannelTile;
                ConvolveTile(shape, padded, w, bias, residual, output, o0, Math.Min(ChannelTile, co - o0), t0, t1);
            }
        });
    }

    readonly record struct ConvShape(int Stride, int InChannels, int Kernel, int Dilation, int Length);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void ConvolveTile(ConvShape shape, float[] padded, float[] w, float[]? bias, float[]? residual,
        float[] output, int o0, int rows, int t0, int t1)
    {
        int vw = Vector<float>.Count, tile = TileVectors * vw;
        int ci = shape.InChannels, k = shape.Kernel, dilation = shape.Dilation, length = shape.Length;
        int wRow = ci * k;
        float* sums = stackalloc float[ChannelTile * TileVectors * Vector<float>.Count];
        fixed (float* xp = padded, wp = w, bp = bias, rp = residual, yp = output)
        {
            float* w0 = wp + (long)o0 * wRow;
            for (int t = t0; t < t1; t += tile)
            {
                if (rows == ChannelTile) SumFourChannels(xp + t, shape.Stride, w0, wRow, ci, k, dilation, sums);
                else
                    for (int row = 0; row < rows; row++)
                        SumOneChannel(xp + t, shape.Stride, w0 + (long)row * wRow, ci, k, dilation, sums + row * tile);
                int n = Math.Min(tile, t1 - t);
                for (int row = 0; row < rows; row++)
                {
                    long at = (long)(o0 + row) * length + t;
                    StoreTile(sums + row * tile, bp == null ? 0f : bp[o0 + row], rp == null ? null : rp + at, yp + at, n);
                }
            }
        }
    }

    /// <summary>
    /// The register tile: 4 channels × 3 vectors of samples, summed over every input channel and tap, into
    /// <paramref name="sums"/>. A method of its own, kept small, so the JIT holds the 12 accumulators in
    /// registers (inlined into the tile loop they were spilled to the stack on every tap: 3× slower).
    /// </summary>
    /// <remarks>
    /// Pointers step through the taps instead of indices multiplied out on every tap: the index arithmetic had
    /// cost as many instructions as the loads and multiply-adds together. A pointwise convolution (one tap) is
    /// summed as one input channel with <paramref name="ci"/> taps <paramref name="stride"/> apart, the same
    /// terms in the same order, so its loop runs once per input channel rather than once per tap.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static unsafe void SumFourChannels(float* x, int stride, float* w, int wRow, int ci, int k, int dilation, float* sums)
    {
        if (k == 1) (ci, k, dilation) = (1, ci, stride);
        int vw = Vector<float>.Count;
        Vector<float> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
        Vector<float> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
        for (int i = 0; i < ci; i++)
        {
            float* xs = x + (long)i * stride;
            float* w0 = w + (long)i * k;
            float* w1 = w0 + wRow, w2 = w1 + wRow, w3 = w2 + wRow;
            for (nint j = 0; j < k; j++, xs += dilation)
            {
                var x0 = Vector.Load(xs);
                var x1 = Vector.Load(xs + vw);
                var x2 = Vector.Load(xs + 2 * vw);
                var b = new Vector<float>(w0[j]);
                a00 = Vector.FusedMultiplyAdd(x0, b, a00);
                a01 = Vector.FusedMultiplyAdd(x1, b, a01);
                a02 = Vector.FusedMultiplyAdd(x2, b, a02);
                b = new Vector<float>(w1[j]);
                a10 = Vector.FusedMultiplyAdd(x0, b, a10);
                a11 = Vector.FusedMultiplyAdd(x1, b, a11);
                a12 = Vector.FusedMultiplyAdd(x2, b, a12);
                b = new Vector<float>(w2[j]);
                a20 = Vector.FusedMultiplyAdd(x0, b, a20);
                a21 = Vector.FusedMultiplyAdd(x1, b, a21);
                a22 = Vector.FusedMultiplyAdd(x2, b, a22);
                b = new Vector<float>(w3[j]);
                a30 = Vector.FusedMultiplyAdd(x0, b, a30);
                a31 = Vector.FusedMultiplyAdd(x1, b, a31);
                a32 = Vector.FusedMultiplyAdd(x2, b, a32);
            }
        }
        Vector.Store(a00, sums);
        Vector.Store(a01, sums + vw);
        Vector.Store(a02, sums + 2 * vw);
        Vector.Store(a10, sums + 3 * vw);
        Vector.Store(a11, sums + 4 * vw);
        Vector.Store(a12, sums + 5 * vw);
        Vector.Store(a20, sums + 6 * vw);
        Vector.Store(a21, sums + 7 * vw);
        Vector.Store(a22, sums + 8 * vw);
        Vector.Store(a30, sums + 9 * vw);
        Vector.Store(a31, sums + 10 * vw);
        Vector.Store(a32, sums + 11 * vw);
    }

    /// <summary>One channel × 3 vectors: the last, partial channel tile (stepped as <see cref="SumFourChannels"/> is).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static unsafe void SumOneChannel(float* x, int stride, float* w, int ci, int k, int dilation, float* sums)
    {
        if (k == 1) (ci, k, dilation) = (1, ci, stride);
        int vw = Vector<float>.Count;
        Vector<float> a0 = default, a1 = default, a2 = default;
        for (int i = 0; i < ci; i++)
        {
            float* xs = x + (long)i * stride;
            float* wi = w + (long)i * k;
            for (nint j = 0; j < k; j++, xs += dilation)
            {
                var b = new Vector<float>(wi[j]);
                a0 = Vector.FusedMultiplyAdd(Vector.Load(xs), b, a0);
                a1 = Vector.FusedMultiplyAdd(Vector.Load(xs + vw), b, a1);
                a2 = Vector.FusedMultiplyAdd(Vector.Load(xs + 2 * vw), b, a2);
            }
        }
        Vector.Store(a0, sums);
        Vector.Store(a1, sums + vw);
        Vector.Store(a2, sums + 2 * vw);
    }

    /// <summary>Writes the first <paramref name="n"/> of a tile row's 3 vectors of sums, plus bias and residual.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void StoreTile(float* sums, float bias, float* residual, float* y, int n)
    {
        int vw = Vector<float>.Count;
        if (n == TileVectors * vw)
        {
            var b = new Vector<float>(bias);
            var a0 = Vector.Load(sums) + b;
            var a1 = Vector.Load(sums + vw) + b;
            var a2 = Vector.Load(sums + 2 * vw) + b;
            if (residual != null)
            {
                a0 += Vector.Load(residual);
                a1 += Vector.Load(residual + vw);
                a2 += Vector.Load(residual + 2 * vw);
            }
            Vector.Store(a0, y);
            Vector.Store(a1, y + vw);
            Vector.Store(a2, y + 2 * vw);
            return;
        }
        for (int e = 0; e < n; e++) y[e] = sums[e] + bias + (residual != null ? residual[e] : 0f);
    }
}
