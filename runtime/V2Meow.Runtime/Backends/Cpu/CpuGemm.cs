using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using V2Meow.Numerics;

namespace V2Meow.Runtime.Backends.Cpu;

/// <summary>
/// y[M, N] = x[M, K] · w[N, K]ᵀ on the CPU. Work is split over blocks of 16 output columns (24 in the tiled
/// paths): each worker
/// streams its slice of weight rows once and reuses it, from cache, for every input row — what keeps
/// decode (M = 1) bandwidth-bound rather than latency-bound. Prefill (M ≥ 4) runs a 4 × 3 register tile:
/// four x rows and three weight rows per pass, twelve accumulators, under half the loads per multiply-add of a dot product.
/// </summary>
/// <remarks>
/// f16 and bf16 weights stay 16-bit. Below <see cref="WidenedBlockRows"/> rows of x (decode, batches up to 16)
/// they are widened in registers inside the dot products (<see cref="IWidening"/>), so a step reads 2 bytes a
/// weight: one row of x takes four weight rows per pass, eight rows of x take one weight row, widened once for
/// all eight. From <see cref="WidenedBlockRows"/> rows on (prefill), each worker widens its block of weight rows
/// once into an f32 scratch that stays in its L2 and runs the f32 tiles on it. Widening is exact either way:
/// results differ from f32 weights only in the order of the f32 sums, and every 16-bit path sums a row in the
/// same order, so a row's result does not depend on the rows beside it.
///
/// The weight rows a decode step streams are short (1–4 KiB), so the hardware prefetcher, which starts over at
/// every 4 KiB page, rarely gets ahead of them: the in-register loops prefetch the weights they will read a few
/// rows on, which doubled the bytes per second of a one-thread decode on this project's 2-core machine.
/// </remarks>
[SkipLocalsInit] // the scratch each loop stackallocs is written before it is read
internal static class CpuGemm
{
    const int ColumnBlock = 16;
    /// <summary>Rows of x from which the 4 × 3 tiles pay off.</summary>
    const int TileRows = 4;
    /// <summary>Output columns per work item of the tiled paths: eight 4 × 3 tiles.</summary>
    const int TileBlock = 24;
    /// <summary>Rows of x from which 16-bit weights are widened once per block into f32 rather than in registers per 8 rows.</summary>
    const int WidenedBlockRows = 17;
    /// <summary>Weights per span of <see cref="Rows8Span"/>: eight rows of x over 512 weights are 16 KiB, half of L1.</summary>
    const int SpanWeights = 512;

    /// <summary>f16 bits shifted into f32 position read as the value · 2^-112 (SPEC's exact widening, rebiased by a product).</summary>
    const float HalfRebias = 5.192296858534828e33f; // 2^112
    /// <summary>|x| below this keeps x · 2^112 finite, which the in-register f16 path needs.</summary>
    const float HalfScaledInputLimit = 65536f; // 2^16: 2^16 · 2^112 = 2^128 overflows

    [ThreadStatic] static float[]? t_block;
    [ThreadStatic] static float[]? t_input;

    /// <summary>The in-register widening needs AVX2's 16 → 32-bit moves and FMA; elsewhere the widened-block path runs.</summary>
    static bool WidenInRegisters => Avx2.IsSupported && Fma.IsSupported;

    public static void Multiply(float[] x, float[] w, float[] y, int m, int k, int n, CpuWorkers workers)
    {
        workers.For(Blocks(n, TileBlock), bi =>
        {
            int n0 = bi * TileBlock, n1 = Math.Min(n, n0 + TileBlock);
            MultiplyBlock(x, w, 0, y, m, k, n, n0, n1);
        });
    }

    public static void Multiply(float[] x, CpuWeightTensor w, float[] y, int m, int k, int n, CpuWorkers workers)
    {
        if (w.Format == WeightFormat.Float32)
        {
            Multiply(x, w.Single, y, m, k, n, workers);
            return;
        }
        if (m < WidenedBlockRows && m * k > 0 && WidenInRegisters)
        {
            if (w.Format == WeightFormat.BFloat16)
            {
                Gemv<BFloat16Bits>(PrepareInput(x, m, k, 1f), w.Packed, y, m, k, n, workers);
                return;
            }
            // f16 bits widen with a shift and a mask when x carries the 2^112 rebias instead (see HalfBits);
            // an x too large for that (|x| ≥ 2^16, or NaN) takes the widened-block path below. MaxMagnitude keeps
            // the sign of the element it finds, so its magnitude is what is compared.
            if (MathF.Abs(TensorPrimitives.MaxMagnitude(new ReadOnlySpan<float>(x, 0, m * k))) < HalfScaledInputLimit)
            {
                Gemv<HalfBits>(PrepareInput(x, m, k, HalfRebias), w.Packed, y, m, k, n, workers);
                return;
            }
        }
        ushort[] packed = w.Packed;
        var format = w.Format;
        workers.For(Blocks(n, TileBlock), bi =>
        {
            int n0 = bi * TileBlock, n1 = Math.Min(n, n0 + TileBlock);
            float[] block = Scratch(ref t_block, (n1 - n0) * k);
            Widen(new ReadOnlySpan<ushort>(packed, n0 * k, (n1 - n0) * k), format, block);
            MultiplyBlock(x, block, n0, y, m, k, n, n0, n1);
        });
    }

    /// <summary>16-bit weights widened exactly to f32 (<see cref="WeightFormats"/>), eight at a time where AVX2 is.</summary>
    public static unsafe void Widen(ReadOnlySpan<ushort> packed, WeightFormat format, Span<float> destination)
    {
        if (destination.Length < packed.Length) throw new ArgumentException("widen: destination too short", nameof(destination));
        int i = 0;
        fixed (ushort* p = packed)
        fixed (float* d = destination)
        {
            if (Avx2.IsSupported)
            {
                if (format == WeightFormat.Float16)
                    for (; i + 8 <= packed.Length; i += 8) Avx.Store(d + i, HalfBits.Widen8(p + i) * HalfRebias);
                else
                    for (; i + 8 <= packed.Length; i += 8) Avx.Store(d + i, BFloat16Bits.Widen8(p + i));
            }
            else if (format == WeightFormat.Float16)
            {
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<ushort, Half>(packed), destination);
                return;
            }
            for (; i < packed.Length; i++) d[i] = WeightFormats.Widen(p[i], (int)format);
        }
    }

    /// <summary>
    /// x as the in-register loops read it, in one pinned scratch: its rows times <paramref name="scale"/> from a
    /// 64-byte boundary (<see cref="GemvInput.Rows"/>), so no 32-byte load splits a cache line; and for each full
    /// group of eight rows, the same values interleaved by 8 (<see cref="GemvInput.Groups"/>: for every 8 weights,
    /// the eight rows' 8 values side by side), so <see cref="Rows8Span"/> reads x as one stream. Eight rows
    /// k floats apart would fall in the same few L1 sets whenever k · 4 bytes is a multiple of 4 KiB.
    /// </summary>
    static unsafe GemvInput PrepareInput(float[] x, int m, int k, float scale)
    {
        int whole = k & ~7, groups = m / 8;
        float[] scratch = PinnedScratch(ref t_input, m * k + groups * 8 * whole + 32);
        int rows = AlignedOffset(scratch);
        int interleaved = rows + (m * k + 15) / 16 * 16;
        var values = new Span<float>(scratch, rows, m * k);
        TensorPrimitives.Multiply(new ReadOnlySpan<float>(x, 0, m * k), scale, values);
        fixed (float* p = scratch)
        {
            float* to = p + interleaved;
            for (int g = 0; g < groups; g++)
                for (int i = 0; i < whole; i += 8)
                    for (int r = 0; r < 8; r++, to += 8)
                        Vector256.Store(Vector256.Load(p + rows + (g * 8 + r) * k + i), to);
        }
        return new GemvInput(scratch, rows, interleaved);
    }

    /// <summary>Where <see cref="PrepareInput"/> put x's rows and its interleaved groups of eight rows.</summary>
    readonly record struct GemvInput(float[] Scratch, int Rows, int Groups);

    /// <summary>A scratch that never moves, so an offset into it keeps its alignment.</summary>
    static float[] PinnedScratch(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length) buffer = GC.AllocateUninitializedArray<float>(Math.Max(length, 2 * (buffer?.Length ?? 0)), pinned: true);
        return buffer;
    }

    /// <summary>The first index of <paramref name="pinned"/> at a 64-byte boundary (at most 15).</summary>
    static unsafe int AlignedOffset(float[] pinned)
    {
        fixed (float* p = pinned) return (int)((64 - ((nint)p & 63)) & 63) / 4;
    }

    static int Blocks(int n, int width = ColumnBlock) => (n + width - 1) / width;

    static float[] Scratch(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length) buffer = new float[Math.Max(length, 2 * (buffer?.Length ?? 0))];
        return buffer;
    }

    /// <summary>Output columns [n0, n1) for every row of x; weight row c sits at (c − <paramref name="first"/>) · k in <paramref name="w"/>.</summary>
    static void MultiplyBlock(float[] x, float[] w, int first, float[] y, int m, int k, int n, int n0, int n1)
    {
        int row = 0;
        if (Vector256.IsHardwareAccelerated && m >= TileRows)
        {
            // The last 1–3 rows in a tile of their own, its spare rows repeating the last one (a few wasted
            // products per block), so that every row sums in the tiles' order: with 16-bit weights, that of a
            // row decoded alone (Dot1).
            for (; row < m; row += TileRows)
            {
                int rows = Math.Min(TileRows, m - row), col = n0;
                for (; col + 3 <= n1; col += 3) Tile4x3(x, w, first, y, row, rows, col, k, n);
                for (; col < n1; col++) Tile4x1(x, w, first, y, row, rows, col, k, n);
            }
        }
        for (; row < m; row++)
            for (int col = n0; col < n1; col++) y[row * n + col] = Dot(x, row, w, col - first, k);
    }

    static float Dot(float[] x, int row, float[] w, int wRow, int k) =>
        TensorPrimitives.Dot(new ReadOnlySpan<float>(x, row * k, k), new ReadOnlySpan<float>(w, wRow * k, k));

    /// <summary>
    /// Four rows of x against three weight rows: twelve accumulators, the three weight vectors and one x vector
    /// fill AVX2's sixteen registers exactly (a 4 × 4 tile needs 21: the JIT kept five accumulators on the stack,
    /// and 251-row products ran at two thirds of this tile's speed). Each output sums in one 8-lane vector over k,
    /// then <see cref="Vector256.Sum{T}(Vector256{T})"/>, then the tail: the order of the in-register 16-bit paths.
    /// Only the first <paramref name="rows"/> (1–4) rows are stored; the tile's other rows repeat the last of them.
    /// </summary>
    static unsafe void Tile4x3(float[] x, float[] w, int first, float[] y, int row, int rows, int col, int k, int n)
    {
        fixed (float* xp = x, wp = w)
        {
            float* x0 = xp + row * k, x1 = x0 + k * Math.Min(1, rows - 1), x2 = x0 + k * Math.Min(2, rows - 1), x3 = x0 + k * Math.Min(3, rows - 1);
            float* w0 = wp + (col - first) * k, w1 = w0 + k, w2 = w1 + k;
            Vector256<float> a00 = default, a01 = default, a02 = default;
            Vector256<float> a10 = default, a11 = default, a12 = default;
            Vector256<float> a20 = default, a21 = default, a22 = default;
            Vector256<float> a30 = default, a31 = default, a32 = default;
            int i = 0;
            for (; i + 8 <= k; i += 8)
            {
                var v0 = Vector256.Load(w0 + i);
                var v1 = Vector256.Load(w1 + i);
                var v2 = Vector256.Load(w2 + i);
                var u = Vector256.Load(x0 + i);
                a00 = Vector256.FusedMultiplyAdd(u, v0, a00); a01 = Vector256.FusedMultiplyAdd(u, v1, a01); a02 = Vector256.FusedMultiplyAdd(u, v2, a02);
                u = Vector256.Load(x1 + i);
                a10 = Vector256.FusedMultiplyAdd(u, v0, a10); a11 = Vector256.FusedMultiplyAdd(u, v1, a11); a12 = Vector256.FusedMultiplyAdd(u, v2, a12);
                u = Vector256.Load(x2 + i);
                a20 = Vector256.FusedMultiplyAdd(u, v0, a20); a21 = Vector256.FusedMultiplyAdd(u, v1, a21); a22 = Vector256.FusedMultiplyAdd(u, v2, a22);
                u = Vector256.Load(x3 + i);
                a30 = Vector256.FusedMultiplyAdd(u, v0, a30); a31 = Vector256.FusedMultiplyAdd(u, v1, a31); a32 = Vector256.FusedMultiplyAdd(u, v2, a32);
            }
            float* sums = stackalloc float[12];
            sums[0] = Vector256.Sum(a00); sums[1] = Vector256.Sum(a01); sums[2] = Vector256.Sum(a02);
            sums[3] = Vector256.Sum(a10); sums[4] = Vector256.Sum(a11); sums[5] = Vector256.Sum(a12);
            sums[6] = Vector256.Sum(a20); sums[7] = Vector256.Sum(a21); sums[8] = Vector256.Sum(a22);
            sums[9] = Vector256.Sum(a30); sums[10] = Vector256.Sum(a31); sums[11] = Vector256.Sum(a32);
            for (int r = 0; r < rows; r++)
            {
                float* xr = x0 + r * k;
                for (int j = i; j < k; j++)
                {
                    float xv = xr[j];
                    sums[r * 3 + 0] += xv * w0[j];
                    sums[r * 3 + 1] += xv * w1[j];
                    sums[r * 3 + 2] += xv * w2[j];
                }
                for (int c = 0; c < 3; c++) y[(row + r) * n + col + c] = sums[r * 3 + c];
            }
        }
    }

    /// <summary>Four rows of x against one weight row, in <see cref="Tile4x3"/>'s order: a block's last columns; the first <paramref name="rows"/> stored.</summary>
    static unsafe void Tile4x1(float[] x, float[] w, int first, float[] y, int row, int rows, int col, int k, int n)
    {
        fixed (float* xp = x, wp = w)
        {
            float* x0 = xp + row * k, x1 = x0 + k * Math.Min(1, rows - 1), x2 = x0 + k * Math.Min(2, rows - 1), x3 = x0 + k * Math.Min(3, rows - 1);
            float* w0 = wp + (col - first) * k;
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            int i = 0;
            for (; i + 8 <= k; i += 8)
            {
                var v = Vector256.Load(w0 + i);
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(x0 + i), v, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(x1 + i), v, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Load(x2 + i), v, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Load(x3 + i), v, a3);
            }
            float* sums = stackalloc float[4];
            sums[0] = Vector256.Sum(a0); sums[1] = Vector256.Sum(a1); sums[2] = Vector256.Sum(a2); sums[3] = Vector256.Sum(a3);
            for (int r = 0; r < rows; r++)
            {
                float* xr = x0 + r * k;
                for (int j = i; j < k; j++) sums[r] += xr[j] * w0[j];
                y[(row + r) * n + col] = sums[r];
            }
        }
    }

    /// <summary>
    /// Decode: 16-bit weight rows widened in registers against the m (&lt; <see cref="WidenedBlockRows"/>) rows of
    /// x: groups of eight rows by <see cref="Rows8Span"/>, walking k in spans that keep their x in L1; the rest
    /// one row at a time, four weight rows per pass so one load of x feeds four multiply-adds.
    /// </summary>
    static unsafe void Gemv<TWiden>(GemvInput x, ushort[] w, float[] y, int m, int k, int n, CpuWorkers workers)
        where TWiden : struct, IWidening
    {
        workers.For(Blocks(n), bi =>
        {
            int n0 = bi * ColumnBlock, n1 = Math.Min(n, n0 + ColumnBlock);
            fixed (float* scratch = x.Scratch, yp = y)
            fixed (ushort* wp = w)
            {
                float* xp = scratch + x.Rows;
                int row = 0;
                if (m >= 8)
                {
                    var acc = stackalloc Vector256<float>[8 * ColumnBlock];
                    int whole = k & ~7;
                    var mask = TWiden.Mask;
                    for (; row + 8 <= m; row += 8)
                    {
                        float* xr = xp + row * k, xg = scratch + x.Groups + row * whole;
                        new Span<Vector256<float>>(acc, 8 * ColumnBlock).Clear();
                        for (int from = 0; from < whole; from += SpanWeights)
                        {
                            int to = Math.Min(whole, from + SpanWeights);
                            for (int col = n0; col < n1; col++) Rows8Span<TWiden>(xg, wp + (long)col * k, k, from, to, acc + 8 * (col - n0), mask);
                        }
                        for (int col = n0; col < n1; col++)
                            Rows8Finish<TWiden>(xr, wp + (long)col * k, k, whole, acc + 8 * (col - n0), yp + row * n + col, n);
                    }
                }
                for (; row < m; row++)
                {
                    float* xr = xp + row * k, yr = yp + row * n;
                    int col = n0;
                    for (; col + 4 <= n1; col += 4) Dot4<TWiden>(xr, wp + (long)col * k, k, yr + col);
                    for (; col < n1; col++) yr[col] = Dot1<TWiden>(xr, wp + (long)col * k, k);
                }
            }
        });
    }

    static unsafe void Dot4<TWiden>(float* x, ushort* w0, int k, float* y) where TWiden : struct, IWidening
    {
        ushort* w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
        // One cache line per iteration (the 64 bytes it reads): over the pass, exactly the next four rows.
        byte* ahead = (byte*)w0 + 8L * k;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int i = 0;
        for (; i + 8 <= k; i += 8)
        {
            Sse.Prefetch0(ahead + 8 * i);
            var u = Avx.LoadVector256(x + i);
            a0 = Fma.MultiplyAdd(TWiden.Widen8(w0 + i), u, a0);
            a1 = Fma.MultiplyAdd(TWiden.Widen8(w1 + i), u, a1);
            a2 = Fma.MultiplyAdd(TWiden.Widen8(w2 + i), u, a2);
            a3 = Fma.MultiplyAdd(TWiden.Widen8(w3 + i), u, a3);
        }
        float s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
        for (; i < k; i++)
        {
            float u = x[i];
            s0 += u * TWiden.Widen1(w0[i]);
            s1 += u * TWiden.Widen1(w1[i]);
            s2 += u * TWiden.Widen1(w2[i]);
            s3 += u * TWiden.Widen1(w3[i]);
        }
        y[0] = s0; y[1] = s1; y[2] = s2; y[3] = s3;
    }

    /// <summary>
    /// One weight row against eight rows of x (a batch-8 decode step), over weights [from, to) (multiples of 8):
    /// the row is widened once per 8 weights and feeds eight multiply-adds whose x operands come from L1, read
    /// from <see cref="PrepareInput"/>'s interleaved group (x[8·i + 8·r + lane] is row r's weight i + lane).
    /// The eight accumulators live in <paramref name="acc"/> between spans, so k is walked in spans of x that
    /// stay in L1 and every output still sums in one order, that of <see cref="Dot4"/> and <see cref="Dot1"/>.
    /// </summary>
    /// <remarks>
    /// The widening's mask comes in as an argument, held in a register: as a constant, the JIT folded it into the
    /// loop's AND as a memory operand, a tenth load per eight multiply-adds on a loop bound by its loads.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)] // inlined, the mask would be a constant again
    static unsafe void Rows8Span<TWiden>(float* x, ushort* w, int k, int from, int to, Vector256<float>* acc, Vector256<int> mask)
        where TWiden : struct, IWidening
    {
        // The same span four weight rows on, which this worker reaches after three more columns.
        ushort* ahead = w + 4L * k;
        Vector256<float> a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
        Vector256<float> a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7];
        for (int i = from; i < to; i += 8)
        {
            // One prefetch per 64-byte line of weights: every fourth step of 8 weights.
            if ((i & 31) == 0) Sse.Prefetch0(ahead + i);
            var v = TWiden.Widen8(w + i, mask);
            float* xi = x + 8 * i;
            a0 = Fma.MultiplyAdd(Avx.LoadVector256(xi), v, a0);
            a1 = Fma.MultiplyAdd(Avx.LoadVector256(xi + 8), v, a1);
            a2 = Fma.MultiplyAdd(Avx.LoadVector256(xi + 16), v, a2);
            a3 = Fma.MultiplyAdd(Avx.LoadVector256(xi + 24), v, a3);
            a4 = Fma.MultiplyAdd(Avx.LoadVector256(xi + 32), v, a4);
            a5 = Fma.MultiplyAdd(Avx.LoadVector256(xi + 40), v, a5);
            a6 = Fma.MultiplyAdd(Avx.LoadVector256(xi + 48), v, a6);
            a7 = Fma.MultiplyAdd(Avx.LoadVector256(xi + 56), v, a7);
        }
        acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
        acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7;
    }

    /// <summary>The eight sums of <see cref="Rows8Span"/>'s accumulators, plus the weights from <paramref name="from"/> to k one at a time.</summary>
    static unsafe void Rows8Finish<TWiden>(float* x, ushort* w, int k, int from, Vector256<float>* acc, float* y, int n)
        where TWiden : struct, IWidening
    {
        var sums = Sum8(acc);
        for (int r = 0; r < 8; r++)
        {
            float sum = sums.GetElement(r);
            for (int i = from; i < k; i++) sum += x[r * k + i] * TWiden.Widen1(w[i]);
            y[r * n] = sum;
        }
    }

    /// <summary>
    /// The lane sums of eight vectors at once, each added in <see cref="Vector256.Sum{T}(Vector256{T})"/>'s order
    /// (pairs, then pairs of pairs within each 128-bit half, then the halves), so the result is that of eight
    /// such calls, in a tenth of the instructions.
    /// </summary>
    static unsafe Vector256<float> Sum8(Vector256<float>* a)
    {
        var p01 = Avx.HorizontalAdd(a[0], a[1]);
        var p23 = Avx.HorizontalAdd(a[2], a[3]);
        var p45 = Avx.HorizontalAdd(a[4], a[5]);
        var p67 = Avx.HorizontalAdd(a[6], a[7]);
        var q0123 = Avx.HorizontalAdd(p01, p23);
        var q4567 = Avx.HorizontalAdd(p45, p67);
        return Avx.Permute2x128(q0123, q4567, 0x20) + Avx.Permute2x128(q0123, q4567, 0x31);
    }

    static unsafe float Dot1<TWiden>(float* x, ushort* w, int k) where TWiden : struct, IWidening
    {
        Vector256<float> a = default;
        int i = 0;
        for (; i + 8 <= k; i += 8) a = Fma.MultiplyAdd(TWiden.Widen8(w + i), Avx.LoadVector256(x + i), a);
        float s = Vector256.Sum(a);
        for (; i < k; i++) s += x[i] * TWiden.Widen1(w[i]);
        return s;
    }

    /// <summary>How a 16-bit weight becomes the f32 the dot products multiply, eight at a time (AVX2) or one.</summary>
    interface IWidening
    {
        static abstract unsafe Vector256<float> Widen8(ushort* p);
        /// <summary><see cref="Widen8(ushort*)"/> with its constant mask given (<see cref="Mask"/>), for loops that keep it in a register.</summary>
        static abstract unsafe Vector256<float> Widen8(ushort* p, Vector256<int> mask);
        static abstract Vector256<int> Mask { get; }
        static abstract float Widen1(ushort bits);
    }

    /// <summary>
    /// f16 as a sign-extended shift and a mask: sign to bit 31, the 5 exponent and 10 mantissa bits under it
    /// unbiased, which reads as the f16 value · 2^-112 for every finite f16, subnormals included (they become
    /// f32 subnormals). x carries the 2^112 instead, so x · w is exact as with widened weights. Infinities and
    /// NaN would read as finite; the bundle loader refuses non-finite weights before they get here.
    /// </summary>
    readonly struct HalfBits : IWidening
    {
        const int Bits = unchecked((int)0x8FFF_E000);

        public static unsafe Vector256<float> Widen8(ushort* p) => Widen8(p, Mask);

        public static unsafe Vector256<float> Widen8(ushort* p, Vector256<int> mask) =>
            (Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32((short*)p), 13) & mask).AsSingle();

        public static Vector256<int> Mask => Vector256.Create(Bits);

        public static float Widen1(ushort bits) => BitConverter.Int32BitsToSingle(((short)bits << 13) & Bits);
    }

    /// <summary>bf16 is the top half of an f32: zero-extend and shift.</summary>
    readonly struct BFloat16Bits : IWidening
    {
        public static unsafe Vector256<float> Widen8(ushort* p) =>
            Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(p), 16).AsSingle();

        public static unsafe Vector256<float> Widen8(ushort* p, Vector256<int> mask) => Widen8(p);

        public static Vector256<int> Mask => default;

        public static float Widen1(ushort bits) => WeightFormats.BFloat16ToSingle(bits);
    }
}
