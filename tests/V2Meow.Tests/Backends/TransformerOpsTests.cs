using V2Meow.Loaders.Safetensors;
using V2Meow.Numerics;
using V2Meow.Runtime.Backends;
using static V2Meow.Tests.Backends.Float64Reference;

namespace V2Meow.Tests.Backends;

/// <summary>
/// The transformer ops on both backends against float64 loops, on fresh random inputs and poisoned
/// outputs. Sizes stay tiny: ILGPU's CPU accelerator emulates every thread.
/// </summary>
public class TransformerOpsTests(BackendFixture backends) : IClassFixture<BackendFixture>
{
    public static TheoryData<string> Backends => BackendFixture.Names;

    static float[] Download(IComputeBackend backend, DeviceTensor t)
    {
        var values = new float[t.Length];
        backend.Download(t, values);
        return values;
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void NormsMatchFloat64(string name)
    {
        var backend = backends.Get(name);
        foreach (var (rows, d) in new[] { (1, 7), (3, 32), (5, 67) })
        {
            float[] x = Random(rows * d, d, 3), w = Random(d, d + 1), b = Random(d, d + 2);
            for (int i = 0; i < x.Length; i++) x[i] += 2; // an offset mean: a one-pass variance would lose digits here
            using var tx = backend.Upload(x, rows, d);
            using var tw = backend.Upload(w, d);
            using var tb = backend.Upload(b, d);
            using var ty = backend.Upload(Poison(rows * d), rows, d);
            backend.LayerNorm(tx, tw, tb, 1e-6f, ty);
            // f32 sums over ≤ 67 values of magnitude ≤ 5: 1e-5 relative covers rounding of sums and rsqrt.
            Assert.True(RelativeError(Download(backend, ty), LayerNorm(x, w, b, rows, d, 1e-6f)) < 1e-5, $"layernorm [{rows}, {d}]");
            backend.RmsNorm(tx, tw, 1e-5f, ty);
            Assert.True(RelativeError(Download(backend, ty), LayerNorm(x, w, null, rows, d, 1e-5f)) < 1e-5, $"rmsnorm [{rows}, {d}]");
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void ActivationsMatchFloat64(string name)
    {
        var backend = backends.Get(name);
        int n = 203; // not a multiple of 8: the CPU's vector loop leaves a scalar tail
        float[] x = Random(n, 5, 6), up = Random(n, 6, 2);
        x[0] = 0; x[1] = -4.5f; x[2] = 4.5f; x[3] = -1e-3f;
        using var tx = backend.Upload(x, n);
        using var tu = backend.Upload(up, n);
        using var ty = backend.Upload(Poison(n), n);
        backend.Gelu(tx, ty);
        var gelu = Download(backend, ty);
        backend.Relu(tx, ty);
        var relu = Download(backend, ty);
        backend.Geglu(tx, tu, ty);
        var geglu = Download(backend, ty);
        backend.Geglu(tx, tu, tu); // the output may be the up tensor itself, as the feed-forward uses it
        Assert.Equal(geglu, Download(backend, tu));
        for (int i = 0; i < n; i++)
        {
            // The rational erf is within 4e-7 of the true erf: GELU moves by at most 2e-7 · |x|, plus f32 rounding.
            Assert.True(Math.Abs(gelu[i] - Gelu(x[i])) <= 3e-7 * Math.Abs(x[i]) + 1e-7, $"gelu({x[i]}) = {gelu[i]}, expected {Gelu(x[i])}");
            Assert.Equal(Math.Max(x[i], 0f), relu[i]);
            Assert.True(Math.Abs(geglu[i] - Gelu(x[i]) * up[i]) <= (3e-7 * Math.Abs(x[i]) + 1e-7) * Math.Abs(up[i]) + 1e-7, $"geglu at {i}");
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void AddBiasBroadcastsOverRows(string name)
    {
        var backend = backends.Get(name);
        float[] x = Random(3 * 5, 1), b = Random(5, 2);
        using var tx = backend.Upload(x, 3, 5);
        using var tb = backend.Upload(b, 5);
        backend.AddBias(tx, tb);
        var y = Download(backend, tx);
        for (int i = 0; i < y.Length; i++) Assert.Equal(x[i] + b[i % 5], y[i]);
    }

    [Theory]
    [InlineData("cpu", DType.F32)]
    [InlineData("cpu", DType.F16)]
    [InlineData("cpu", DType.BF16)]
    [InlineData("ilgpu-cpu", DType.F32)]
    [InlineData("ilgpu-cpu", DType.F16)]
    [InlineData("ilgpu-cpu", DType.BF16)]
    public void MatMulWithStoredWeightsMatchesFloat64(string name, DType dtype)
    {
        var backend = backends.Get(name);
        // GEMV (1–3 rows: four weight rows per pass, then single rows), eight rows per weight row (16-bit
        // weights, 8–16 rows: 11 leaves three single rows, k = 1100 two spans of 512 and a tail) and tiled paths
        // (4 × 4 tiles, ragged edges; 16-bit weights from 17 rows); k = 67 and 203 leave scalar tails after the
        // 8-wide loop, n = 21 a single column after 4-column groups.
        foreach (var (m, k, n) in new[] { (1, 37, 9), (6, 19, 13), (1, 67, 21), (3, 203, 21), (9, 67, 21), (8, 1100, 19), (11, 203, 21), (17, 67, 21) })
        {
            using var file = new WeightsFile(Random(n * k, n + k), n, k, dtype);
            float[] w = file.Stored, x = Random(m * k, m);
            using var weights = backend.UploadWeights(file.View);
            Assert.Equal(dtype switch { DType.F16 => WeightFormat.Float16, DType.BF16 => WeightFormat.BFloat16, _ => WeightFormat.Float32 }, weights.Format);
            AssertMatMul(backend, weights, x, w, m, k, n, $"{dtype} [{m},{k},{n}]");
        }
    }

    [Theory]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void CpuSixteenBitMatMulRowsDoNotDependOnTheBatchTheyAreIn(DType dtype)
    {
        // A sequence decoded in a batch of 8 or 11 gets the bits it gets alone, and so does a row of a prefill
        // (17 rows and more: widened blocks in 4-row tiles, the last 1–3 rows in a tile of their own): every
        // 16-bit path sums a row in one order. (f32 weights do not promise this: a single row takes
        // TensorPrimitives.Dot's order.)
        var backend = backends.Get("cpu");
        int k = 1100, n = 19;
        using var file = new WeightsFile(Random(n * k, 5), n, k, dtype);
        using var weights = backend.UploadWeights(file.View);
        foreach (int m in new[] { 4, 8, 11, 16, 17, 22, 27 })
        {
            float[] x = Random(m * k, m + 7);
            using var tx = backend.Upload(x, m, k);
            using var ty = backend.Allocate(m, n);
            backend.MatMul(tx, weights, ty);
            var batch = Download(backend, ty);
            for (int row = 0; row < m; row++)
            {
                using var one = backend.Upload(x[(row * k)..((row + 1) * k)], 1, k);
                using var y1 = backend.Allocate(1, n);
                backend.MatMul(one, weights, y1);
                Assert.Equal(Download(backend, y1), batch[(row * n)..((row + 1) * n)]);
            }
        }
    }

    [Theory]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void CpuSixteenBitMatMulIsExactWideningAtTheExtremes(DType dtype)
    {
        var backend = backends.Get("cpu");
        int k = 67, n = 21;
        float[] values = Random(n * k, 11);
        // f16 subnormals (below 6.1e-5), the largest f16 and negative zero: the in-register widening must be exact for each.
        values[0] = 3e-7f; values[1] = -5.9604645e-8f; values[2] = 65504f; values[3] = -0f; values[k + 5] = -6.1e-5f;
        using var file = new WeightsFile(values, n, k, dtype);
        using var weights = backend.UploadWeights(file.View);
        float[] w = file.Stored;
        foreach (var (m, scale) in new[] { (1, 1.0), (2, 1e5), (2, -1e5), (1, 1e-30), (8, 1.0), (9, 1e5), (8, 1e-30) })
        {
            // |x| ≥ 2^16 cannot carry the f16 rebias: that input takes the widened-block path instead, whichever
            // the sign of its largest element (−1e5 puts a negative one there).
            float[] x = Random(m * k, m + 3, scale);
            AssertMatMul(backend, weights, x, w, m, k, n, $"{dtype} x·{scale}, m = {m}");
        }
    }

    [Fact]
    public void CpuSixteenBitWeightsHoldingInfinityAreWidenedOnLoad()
    {
        var backend = backends.Get("cpu");
        float[] values = Random(4 * 9, 2);
        values[10] = float.PositiveInfinity;
        using var file = new WeightsFile(values, 4, 9, DType.F16);
        using var weights = backend.UploadWeights(file.View);
        Assert.Equal(WeightFormat.Float32, weights.Format);
        using var tx = backend.Upload(Enumerable.Repeat(1f, 9).ToArray(), 1, 9);
        using var ty = backend.Upload(Poison(4), 1, 4);
        backend.MatMul(tx, weights, ty);
        Assert.Equal(float.PositiveInfinity, Download(backend, ty)[1]);
    }

    void AssertMatMul(IComputeBackend backend, WeightTensor weights, float[] x, float[] w, int m, int k, int n, string what)
    {
        using var tx = backend.Upload(x, m, k);
        using var ty = backend.Upload(Poison(m * n), m, n);
        backend.MatMul(tx, weights, ty);
        var expected = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                for (int t = 0; t < k; t++) expected[i * n + j] += (double)x[i * k + t] * w[j * k + t];
        // Widening is exact, so only f32 accumulation order differs from the f64 loop.
        Assert.True(RelativeError(Download(backend, ty), expected) < 1e-5, what);
    }

    [Theory]
    [InlineData("cpu", DType.F32)]
    [InlineData("cpu", DType.F16)]
    [InlineData("cpu", DType.BF16)]
    [InlineData("ilgpu-cpu", DType.F32)]
    [InlineData("ilgpu-cpu", DType.BF16)]
    public void EmbeddingGathersWithLevelOffsets(string name, DType dtype)
    {
        var backend = backends.Get(name);
        int vocab = 12, d = 5;
        using var file = new WeightsFile(Random(vocab * d, 3), vocab, d, dtype);
        float[] table = file.Stored;
        using var weights = backend.UploadWeights(file.View);
        // Codes of 2 levels, time-major, codebook 4, after 3 leading ids: id = 3 + level · 4 + code.
        int[] codes = [9, 9, 1, 3, 0, 2, 3, 1];
        using var ids = backend.UploadInts(codes, codes.Length);
        using var y = backend.Upload(Poison(6 * d), 6, d);
        backend.Embedding(ids, weights, y, new TokenLookup(IdsOffset: 2, IdOffset: 3, Levels: 2, LevelStride: 4));
        var got = Download(backend, y);
        for (int r = 0; r < 6; r++)
        {
            int id = codes[2 + r] + 3 + r % 2 * 4;
            Assert.Equal(table.AsSpan(id * d, d).ToArray(), got.AsSpan(r * d, d).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void DenseAttentionMatchesFloat64(string name)
    {
        var backend = backends.Get(name);
        // 21 keys: more than one 16-thread tile of the emulated kernel, and a ragged last tile.
        foreach (var (n, m, withBias) in new[] { (5, 21, true), (3, 7, false) })
            // f32 scores, exp and sums against f64: 1e-5 of the largest output.
            Assert.True(AttentionErrorAgainstFloat64(backend, dh: 6, n, m, maxDistance: 4, 0.4f, withBias, seed: 1) < 1e-5,
                $"[{n} × {m}] bias {withBias}");
    }

    /// <summary>
    /// The relative error of the backend's dense attention (2 heads of <paramref name="dh"/>, n queries, m keys,
    /// with or without a position bias) against the float64 reference, on random inputs drawn from seeds
    /// <paramref name="seed"/> to <paramref name="seed"/> + 3.
    /// </summary>
    static double AttentionErrorAgainstFloat64(IComputeBackend backend, int dh, int n, int m, int maxDistance, float scale,
        bool withBias, int seed)
    {
        int heads = 2, inner = heads * dh;
        float[] q = Random(n * inner, seed, 2), k = Random(m * inner, seed + 1, 2), v = Random(m * inner, seed + 2);
        float[] table = Random(heads * (2 * maxDistance + 1), seed + 3);
        using var tq = backend.Upload(q, n, inner);
        using var tk = backend.Upload(k, m, inner);
        using var tv = backend.Upload(v, m, inner);
        using var ty = backend.Upload(Poison(n * inner), n, inner);
        using var bias = new PositionBias(backend.Upload(table, heads, 2 * maxDistance + 1), maxDistance);
        backend.Attention(tq, tk, tv, ty, new AttentionHeads(heads, dh, scale), withBias ? bias : null);
        var expected = Attention(q, k, v, n, m, heads, dh, scale,
            withBias ? (h, rel) => table[h * (2 * maxDistance + 1) + maxDistance + Math.Clamp(rel, -maxDistance, maxDistance)] : null, causal: false);
        return RelativeError(Download(backend, ty), expected);
    }

    [Theory]
    [InlineData(72, 37)]
    [InlineData(40, 300)]
    [InlineData(12, 300)]
    public void CpuAttentionRowsDoNotDependOnTheBlockTheyAreIn(int dh, int m)
    {
        // 9 query rows: two 4-row tiles and a single row, against each row alone (no tile): the same bits, so a
        // prefill and a decode step score a query alike. Head width 72: 16-wide steps, one 8-wide step, no tail;
        // 40: a 32-wide run of a lone row's values; 12: a scalar tail. 300 keys: more than one chunk of keys.
        var backend = backends.Get("cpu");
        int heads = 2, inner = heads * dh, n = 9;
        float[] q = Random(n * inner, 11, 2), k = Random(m * inner, 12, 2), v = Random(m * inner, 13);
        using var tk = backend.Upload(k, m, inner);
        using var tv = backend.Upload(v, m, inner);
        var attention = new AttentionHeads(heads, dh, 0.125f);
        using var tq = backend.Upload(q, n, inner);
        using var ty = backend.Allocate(n, inner);
        backend.Attention(tq, tk, tv, ty, attention, null);
        float[] block = Download(backend, ty);
        for (int row = 0; row < n; row++)
        {
            using var oneQ = backend.Upload(q[(row * inner)..((row + 1) * inner)], 1, inner);
            using var oneY = backend.Allocate(1, inner);
            backend.Attention(oneQ, tk, tv, oneY, attention, null);
            Assert.Equal(Download(backend, oneY), block[(row * inner)..((row + 1) * inner)]);
        }
    }

    [Theory]
    [InlineData(72)]
    [InlineData(40)]
    [InlineData(12)]
    public void CpuAttentionOverManyKeysMatchesFloat64(int dh)
    {
        // 300 keys (more than one chunk of keys), 18 queries (a full block, a tile, and two rows), the position
        // bias reaching a constant at both ends, at head widths that take each register tile and the scalar tail.
        Assert.True(AttentionErrorAgainstFloat64(backends.Get("cpu"), dh, n: 18, m: 300, maxDistance: 8, 0.3f, withBias: true, seed: 21) < 1e-5,
            $"head width {dh}");
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void PagedAttentionReadsThroughScatteredBlocks(string name)
    {
        var backend = backends.Get(name);
        int heads = 3, dh = 4, inner = heads * dh, blockSize = 4, maxDistance = 5, length = 11;
        // Sequence 1 owns blocks 5, 0, 3 (out of order on purpose); sequence 0 is absent from this launch.
        int[] tables = [1, 2, 4, 6, 5, 0, 3, 7];
        float[] k = Random(length * inner, 7), v = Random(length * inner, 8), q = Random(length * inner, 9, 2);
        float[] table = Random(heads * (2 * maxDistance + 1), 10);
        using var kCache = backend.Upload(Poison(8 * blockSize * inner), 8 * blockSize, inner);
        using var vCache = backend.Upload(Poison(8 * blockSize * inner), 8 * blockSize, inner);
        using var blockTables = backend.UploadInts(tables, 2, 4);
        using var slots = backend.UploadInts(Enumerable.Repeat(1, length).ToArray(), length);
        using var positions = backend.UploadInts(Enumerable.Range(0, length).ToArray(), length);
        var rows = new PagedRows(blockTables, blockSize, slots, positions, Step: 0);
        using var tk = backend.Upload(k, length, inner);
        using var tv = backend.Upload(v, length, inner);
        using var tq = backend.Upload(q, length, inner);
        using var ty = backend.Upload(Poison(length * inner), length, inner);
        using var bias = new PositionBias(backend.Upload(table, heads, 2 * maxDistance + 1), maxDistance);
        backend.WriteKeyValues(tk, tv, kCache, vCache, rows);
        backend.PagedAttention(tq, kCache, vCache, ty, rows, new AttentionHeads(heads, dh, 0.5f), bias);
        var expected = Attention(q, k, v, length, length, heads, dh, 0.5f,
            (h, rel) => table[h * (2 * maxDistance + 1) + maxDistance + Math.Clamp(rel, -maxDistance, maxDistance)], causal: true);
        Assert.True(RelativeError(Download(backend, ty), expected) < 1e-5);

        // The last position again as a one-row decode step: Step moves it, nothing is re-uploaded.
        using var lastSlot = backend.UploadInts([1], 1);
        using var lastPosition = backend.UploadInts([0], 1);
        using var lastQ = backend.Upload(q.AsSpan((length - 1) * inner, inner), 1, inner);
        using var lastY = backend.Upload(Poison(inner), 1, inner);
        backend.PagedAttention(lastQ, kCache, vCache, lastY, new PagedRows(blockTables, blockSize, lastSlot, lastPosition, Step: length - 1),
            new AttentionHeads(heads, dh, 0.5f), bias);
        Assert.True(RelativeError(Download(backend, lastY), expected.AsSpan((length - 1) * inner).ToArray()) < 1e-5);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void CopyRowsMovesWholeRows(string name)
    {
        var backend = backends.Get(name);
        float[] source = Random(4 * 3, 1);
        using var s = backend.Upload(source, 4, 3);
        using var d = backend.Upload(new float[5 * 3], 5, 3);
        backend.CopyRows(s, 1, d, 3, 2);
        var got = Download(backend, d);
        Assert.Equal(new float[9], got.AsSpan(0, 9).ToArray());
        Assert.Equal(source.AsSpan(3, 6).ToArray(), got.AsSpan(9, 6).ToArray());
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void SamplingFollowsTheRules(string name)
    {
        var backend = backends.Get(name);
        // Row 0: ties at the max (argmax takes the lower index); row 1: one dominant logit.
        float[] logits = [0, 3, 1, 3, -2, 0, 0, 0, 0, 40, 0, 0];
        using var l = backend.Upload(logits, 2, 6);
        using var o = backend.AllocateInts(4);
        backend.Sample(l, 0, new SamplingRequest { Lo = 0, Hi = 6, OutputOffset = 1 }, o);
        var ids = new int[4];
        backend.DownloadInts(o, ids);
        Assert.Equal([1, 3], ids[1..3]);
        // Restricted to [2, 5): row 1's dominant id 3 is in range; row 0 must pick 3 (its only max in range).
        backend.Sample(l, 0, new SamplingRequest { Lo = 2, Hi = 5 }, o);
        backend.DownloadInts(o, ids);
        Assert.Equal([3, 3], ids[..2]);
        // Top-1 at any temperature is the argmax; each draw lands in the window.
        for (ulong seed = 0; seed < 5; seed++)
        {
            backend.Sample(l, 1.0, new SamplingRequest { Lo = 0, Hi = 6, TopK = 1, Seed = seed, StreamStep = 1 }, o);
            backend.DownloadInts(o, ids);
            Assert.Equal([1, 3], ids[..2]);
            backend.Sample(l, 2.0, new SamplingRequest { Lo = 1, Hi = 5, Seed = seed, CounterStep = 1 }, o);
            backend.DownloadInts(o, ids);
            Assert.InRange(ids[0], 1, 4);
            Assert.InRange(ids[1], 1, 4);
        }
    }

    [Fact]
    public void SamplingAgreesAcrossBackends()
    {
        float[] logits = Random(7 * 23, 11, 4);
        var results = new List<int[]>();
        foreach (var name in new[] { "cpu", "ilgpu-cpu" })
        {
            var backend = backends.Get(name);
            using var l = backend.Upload(logits, 7, 23);
            using var o = backend.AllocateInts(7 * 4);
            int column = 0;
            foreach (var (t, k) in new[] { (0.0, 0), (0.4, 0), (1.0, 5), (1.7, 1) })
                backend.Sample(l, t, new SamplingRequest { Lo = 2, Hi = 21, TopK = k, Seed = 99, StreamBase = 3, StreamStep = 1, CounterBase = 5, OutputOffset = 7 * column++ }, o);
            var ids = new int[7 * 4];
            backend.DownloadInts(o, ids);
            results.Add(ids);
        }
        Assert.Equal(results[0], results[1]);
    }
}
