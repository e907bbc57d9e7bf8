using V2Meow.Runtime.Backends;
using static V2Meow.Tests.Backends.Float64Reference;

namespace V2Meow.Tests.Backends;

/// <summary>
/// The VMAs ops (patch embedding, row gather and pool, windowed attention, guidance) on both backends against
/// loops written from VMAS.md, on fresh random inputs and poisoned outputs. Sizes are odd on purpose (channel counts
/// off the 16-wide register tile, row counts off the 4-row tile and the 32-row work item, 67 columns for the SIMD
/// tails); ILGPU's CPU accelerator emulates every thread, so its cases stay tiny and the CPU backend alone gets sizes
/// that reach its parallel paths.
/// </summary>
public class VideoOpsTests(BackendFixture backends) : IClassFixture<BackendFixture>
{
    public static TheoryData<string> Backends => BackendFixture.Names;

    static float[] Download(IComputeBackend backend, DeviceTensor t)
    {
        var values = new float[t.Length];
        backend.Download(t, values);
        return values;
    }

    /// <summary>|actual − expected| ≤ relative·Σ|terms| + 1e-7 element by element: the bound of an f32 sum of the terms.</summary>
    static void AssertClose(string what, float[] actual, double[] expected, double[] magnitude, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= relative * magnitude[i] + 1e-7,
                $"{what} at {i}: {actual[i]} vs {expected[i]} (Σ|terms| {magnitude[i]})");
    }

    public readonly record struct PatchCase(int Ci, int F, int H, int W, int Co, int Kt, int Kh, int Kw, (int T, int H, int W) Stride, (int T, int H, int W) Padding);

    static readonly PatchCase[] SmallPatches =
    [
        new(1, 1, 1, 1, 1, 1, 1, 1, (1, 1, 1), (0, 0, 0)),
        new(3, 4, 13, 13, 9, 3, 7, 7, (2, 4, 4), (1, 3, 3)),   // the paper's kernel, stride and padding
        new(2, 3, 7, 6, 17, 1, 3, 2, (1, 2, 2), (0, 1, 0)),    // 17 channels: one past a 16-wide tile
        new(3, 5, 9, 11, 5, 3, 3, 3, (2, 2, 3), (1, 1, 1)),
    ];

    static readonly PatchCase[] LargePatches =
    [
        new(3, 6, 37, 29, 96, 3, 7, 7, (2, 4, 4), (1, 3, 3)),   // 189 rows: 5 work items of 32, the last ragged
        new(2, 9, 23, 19, 37, 3, 5, 3, (2, 3, 2), (1, 2, 1)),
    ];

    /// <summary>Conv3d with zero padding, rows in (t, h, w) order, in float64: values and Σ|terms| per output.</summary>
    static (double[] Value, double[] Magnitude, int Rows) Patches(float[] x, float[] w, float[] b, PatchCase c)
    {
        int ot = (c.F + 2 * c.Padding.T - c.Kt) / c.Stride.T + 1, oh = (c.H + 2 * c.Padding.H - c.Kh) / c.Stride.H + 1,
            ow = (c.W + 2 * c.Padding.W - c.Kw) / c.Stride.W + 1;
        int rows = ot * oh * ow;
        var value = new double[rows * c.Co];
        var magnitude = new double[rows * c.Co];
        for (int t = 0; t < ot; t++)
            for (int h = 0; h < oh; h++)
                for (int wi = 0; wi < ow; wi++)
                    for (int o = 0; o < c.Co; o++)
                    {
                        double sum = b[o], abs = Math.Abs(b[o]);
                        for (int i = 0; i < c.Ci; i++)
                            for (int a = 0; a < c.Kt; a++)
                                for (int bb = 0; bb < c.Kh; bb++)
                                    for (int cc = 0; cc < c.Kw; cc++)
                                    {
                                        int f = t * c.Stride.T - c.Padding.T + a, y = h * c.Stride.H - c.Padding.H + bb,
                                            xx = wi * c.Stride.W - c.Padding.W + cc;
                                        if (f < 0 || f >= c.F || y < 0 || y >= c.H || xx < 0 || xx >= c.W) continue;
                                        double term = (double)w[(((o * c.Ci + i) * c.Kt + a) * c.Kh + bb) * c.Kw + cc]
                                            * x[((i * c.F + f) * c.H + y) * c.W + xx];
                                        sum += term;
                                        abs += Math.Abs(term);
                                    }
                        int at = ((t * oh + h) * ow + wi) * c.Co + o;
                        value[at] = sum;
                        magnitude[at] = abs;
                    }
        return (value, magnitude, rows);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Conv3dPatchesMatchesFloat64(string name)
    {
        var backend = backends.Get(name);
        int seed = 0;
        foreach (var c in name == "cpu" ? SmallPatches.Concat(LargePatches) : SmallPatches)
        {
            seed++;
            float[] x = Random(c.Ci * c.F * c.H * c.W, seed), w = Random(c.Co * c.Ci * c.Kt * c.Kh * c.Kw, seed + 100),
                b = Random(c.Co, seed + 200);
            var (expected, magnitude, rows) = Patches(x, w, b, c);
            using var tx = backend.Upload(x, c.Ci, c.F, c.H, c.W);
            using var tw = backend.Upload(w, c.Co, c.Ci, c.Kt, c.Kh, c.Kw);
            using var tb = backend.Upload(b, c.Co);
            using var ty = backend.Upload(Poison(rows * c.Co), rows, c.Co);
            backend.Conv3dPatches(tx, tw, tb, c.Stride, c.Padding, ty);
            // f32 sums (fused multiply-adds on the CPU) of up to Ci·kt·kh·kw = 441 terms against f64: rounding grows
            // like √n·eps·Σ|terms| ≈ 1.3e-6·Σ|terms| at 441; 5e-6 leaves room without hiding a wrong tap (≥ 1e-2 here).
            AssertClose($"{name} conv3d {c}", Download(backend, ty), expected, magnitude, 5e-6);
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void GatherRowsCopiesTheNamedRows(string name)
    {
        var backend = backends.Get(name);
        int n = 7, d = 67;
        float[] source = Random(n * d, 1);
        int[] ids = [6, 0, 0, 3, 5, 1, 6, 2, 2];   // repeats, and row 4 left out
        using var s = backend.Upload(source, n, d);
        using var i = backend.UploadInts(ids, ids.Length);
        using var y = backend.Upload(Poison(ids.Length * d), ids.Length, d);
        backend.GatherRows(s, i, y);
        var got = Download(backend, y);
        for (int r = 0; r < ids.Length; r++)
            Assert.Equal(source.AsSpan(ids[r] * d, d).ToArray(), got.AsSpan(r * d, d).ToArray());

        if (name == "cpu")
        {
            // Large enough for the parallel row loop.
            int m = 3000;
            var many = Enumerable.Range(0, m).Select(r => r * 5 % n).ToArray();
            using var mi = backend.UploadInts(many, m);
            using var my = backend.Upload(Poison(m * d), m, d);
            backend.GatherRows(s, mi, my);
            var all = Download(backend, my);
            for (int r = 0; r < m; r++) Assert.Equal(source.AsSpan(many[r] * d, d).ToArray(), all.AsSpan(r * d, d).ToArray());
        }
    }

    [Fact]
    public void GatherRowsNamesABadIndexOnTheCpuAndNeverReadsOutOfBoundsOnIlgpu()
    {
        float[] source = Random(4 * 3, 2);
        var cpu = backends.Get("cpu");
        using (var s = cpu.Upload(source, 4, 3))
        using (var i = cpu.UploadInts([1, 4, 0], 3))
        using (var y = cpu.Allocate(3, 3))
        {
            var e = Assert.Throws<ArgumentException>(() => cpu.GatherRows(s, i, y));
            Assert.Contains("gather rows: index 1 is 4, outside the source's 4 rows", e.Message);
        }
        var host = Assert.Throws<ArgumentException>(() => VideoChecks.RowIndexRange([0, -1], 4));
        Assert.Contains("index 1 is -1", host.Message);

        // A device kernel cannot throw: the bad row comes back NaN, the good ones intact.
        var ilgpu = backends.Get("ilgpu-cpu");
        using var gs = ilgpu.Upload(source, 4, 3);
        using var gi = ilgpu.UploadInts([1, 4, -1, 3], 4);
        using var gy = ilgpu.Upload(new float[12], 4, 3);
        ilgpu.GatherRows(gs, gi, gy);
        var got = Download(ilgpu, gy);
        Assert.Equal(source.AsSpan(3, 3).ToArray(), got.AsSpan(0, 3).ToArray());
        Assert.All(got.AsSpan(3, 6).ToArray(), v => Assert.True(float.IsNaN(v)));
        Assert.Equal(source.AsSpan(9, 3).ToArray(), got.AsSpan(9, 3).ToArray());
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void PoolRowsIsTheFloat32LoopExactly(string name)
    {
        var backend = backends.Get(name);
        var cases = new List<(int N, int G, int D)> { (1, 1, 1), (3, 4, 67), (5, 7, 9), (2, 49, 3) };
        if (name == "cpu") cases.Add((50, 49, 96));   // 235 200 inputs: the parallel row loop
        int seed = 10;
        foreach (var (n, g, d) in cases)
        {
            float[] x = Random(n * g * d, seed++, 3);
            using var tx = backend.Upload(x, n * g, d);
            using var ty = backend.Upload(Poison(n * d), n, d);
            foreach (var mode in new[] { RowPool.Max, RowPool.Mean })
            {
                backend.PoolRows(tx, g, mode, ty);
                var got = Download(backend, ty);
                for (int r = 0; r < n; r++)
                    for (int c = 0; c < d; c++)
                    {
                        float acc = x[r * g * d + c];
                        for (int a = 1; a < g; a++)
                        {
                            float v = x[(r * g + a) * d + c];
                            acc = mode == RowPool.Max ? Math.Max(acc, v) : acc + v;
                        }
                        if (mode == RowPool.Mean) acc /= g;
                        // The contract fixes the f32 operations and their order, so the result is exact, not near.
                        Assert.Equal(acc, got[r * d + c]);
                    }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void WindowedAttentionMatchesFloat64PerWindow(string name)
    {
        var backend = backends.Get(name);
        // (windows, queries, keys, heads, head width): equal windows, pooled queries over a larger key window (a
        // transition block), 21 keys (more than one 16-thread pass of the emulated kernel), one window (global
        // attention). The CPU backend also gets heads wide enough for its vector tiles with a column tail (40 = 2·16 + 8),
        // windows of several 16-query blocks with ragged 4-row and 2-key tiles, and Hiera's stage-1 shape.
        var cases = new List<(int Windows, int Nq, int Nk, int Heads, int Dh)> { (3, 5, 5, 2, 6), (4, 2, 8, 2, 6), (2, 3, 21, 2, 6), (1, 7, 7, 2, 6) };
        if (name == "cpu") cases.AddRange([(3, 37, 29, 2, 40), (1, 50, 50, 3, 17), (5, 64, 64, 1, 96)]);
        foreach (var (windows, nq, nk, heads, dh) in cases)
        {
            int inner = heads * dh;
            float[] q = Random(windows * nq * inner, nq, 2), k = Random(windows * nk * inner, nk + 1, 2), v = Random(windows * nk * inner, nk + 2);
            using var tq = backend.Upload(q, windows * nq, inner);
            using var tk = backend.Upload(k, windows * nk, inner);
            using var tv = backend.Upload(v, windows * nk, inner);
            using var ty = backend.Upload(Poison(windows * nq * inner), windows * nq, inner);
            var shape = new AttentionHeads(heads, dh, 0.35f);
            backend.WindowedAttention(tq, tk, tv, ty, shape, nq, nk);
            var got = Download(backend, ty);
            var expected = new double[got.Length];
            for (int w = 0; w < windows; w++)
                Attention(q[(w * nq * inner)..((w + 1) * nq * inner)], k[(w * nk * inner)..((w + 1) * nk * inner)],
                    v[(w * nk * inner)..((w + 1) * nk * inner)], nq, nk, heads, dh, 0.35, bias: null, causal: false)
                    .CopyTo(expected, w * nq * inner);
            // f32 scores, exp and sums against f64, as the dense attention test: 1e-5 of the largest output.
            Assert.True(RelativeError(got, expected) < 1e-5, $"{name}: {windows} windows of {nq} queries × {nk} keys, {heads} × {dh}");

            if (windows == 1)
            {
                // One window is the global attention op without a bias: the same f32 steps, the dot products summed
                // in another order on the CPU (its tiled windowed path), so within a few ulp of the largest output.
                using var dense = backend.Upload(Poison(nq * inner), nq, inner);
                backend.Attention(tq, tk, tv, dense, shape, null);
                Assert.True(RelativeError(got, Download(backend, dense).Select(x => (double)x).ToArray()) < 1e-6, $"{name}: one window vs attention");
            }

            // The output may be q itself.
            backend.WindowedAttention(tq, tk, tv, tq, shape, nq, nk);
            Assert.Equal(got, Download(backend, tq));
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void GuidanceIsTheExpressionAsWritten(string name)
    {
        var backend = backends.Get(name);
        int n = 203;   // not a multiple of the vector width: a scalar tail
        float[] c = Random(n, 1, 20), u = Random(n, 2, 20);
        using var tc = backend.Upload(c, n);
        using var tu = backend.Upload(u, n);
        using var ty = backend.Upload(Poison(n), n);
        foreach (float scale in new[] { 3f, 1f, 0f, 1.7f, -0.5f })
        {
            backend.Guidance(tc, tu, scale, ty);
            var got = Download(backend, ty);
            for (int i = 0; i < n; i++)
            {
                // The f32 steps as the contract writes them (C# rounds each; it never fuses a multiply-add): exact.
                float difference = c[i] - u[i];
                float step = scale * difference;
                Assert.Equal(u[i] + step, got[i]);
            }
        }

        // In place over either input.
        var expected = Download(backend, ty);   // scale −0.5, the last above
        using var overC = backend.Upload(c, n);
        backend.Guidance(overC, tu, -0.5f, overC);
        Assert.Equal(expected, Download(backend, overC));
        using var overU = backend.Upload(u, n);
        backend.Guidance(tc, overU, -0.5f, overU);
        Assert.Equal(expected, Download(backend, overU));
    }

    [Fact]
    public void WrongShapesGiveTheSameErrorOnBothBackends()
    {
        var messages = new Dictionary<string, List<string>>();
        foreach (var name in new[] { "cpu", "ilgpu-cpu" })
        {
            var b = backends.Get(name);
            var list = messages[name] = [];
            void Expect(string contains, Action call)
            {
                var e = Assert.Throws<ArgumentException>(call);
                Assert.Contains(contains, e.Message);
                list.Add(e.Message);
            }

            using var frames = b.Allocate(3, 4, 9, 9);
            using var weight = b.Allocate(5, 3, 3, 3, 3);
            using var bias = b.Allocate(5);
            using var patches = b.Allocate(2 * 4 * 4, 5);   // T' = (4 + 2 − 3)/2 + 1 = 2, H' = W' = (9 + 2 − 3)/2 + 1 = 5: wrong
            using var flatWeight = b.Allocate(5, 3 * 27);
            using var tiny = b.Allocate(3, 1, 2, 2);
            Expect("conv3d patches: output must be [50, 5], found [32, 5]", () => b.Conv3dPatches(frames, weight, bias, (2, 2, 2), (1, 1, 1), patches));
            Expect("conv3d patches: weight must be [out, in, kt, kh, kw], found [5, 81]", () => b.Conv3dPatches(frames, flatWeight, bias, (2, 2, 2), (1, 1, 1), patches));
            Expect("is smaller than the kernel (3, 3, 3)", () => b.Conv3dPatches(tiny, weight, bias, (1, 1, 1), (0, 0, 0), patches));
            Expect("conv3d patches: stride", () => b.Conv3dPatches(frames, weight, bias, (0, 1, 1), (1, 1, 1), patches));
            Expect("conv3d patches: padding", () => b.Conv3dPatches(frames, weight, bias, (1, 1, 1), (1, -1, 1), patches));

            using var source = b.Allocate(6, 4);
            using var ids = b.UploadInts([0, 1, 2], 3);
            using var twoRows = b.Allocate(2, 4);
            Expect("gather rows: output for 3 indices [3] must be [3, 4], found [2, 4]", () => b.GatherRows(source, ids, twoRows));
            using var sixIds = b.UploadInts([0, 1, 2, 3, 4, 5], 6);
            Expect("gather rows: output must not be the source tensor", () => b.GatherRows(source, sixIds, source));

            Expect("pool rows: input must be [rows, columns] with rows a multiple of the group 4, found [6, 4]", () => b.PoolRows(source, 4, RowPool.Max, twoRows));
            using var sixRows = b.Allocate(6, 4);
            Expect("pool rows: output of groups of 3 must be [2, 4], found [6, 4]", () => b.PoolRows(source, 3, RowPool.Mean, sixRows));
            Expect("pool rows: group 0", () => b.PoolRows(source, 0, RowPool.Mean, twoRows));
            Expect("pool rows: unknown mode", () => b.PoolRows(source, 3, (RowPool)7, twoRows));

            var heads = new AttentionHeads(2, 2, 0.5f);
            using var q = b.Allocate(6, 4);
            using var k = b.Allocate(9, 4);
            using var wide = b.Allocate(6, 5);
            Expect("windowed attention: q [6, 4] is not whole windows of 4 rows", () => b.WindowedAttention(q, k, k, q, heads, 4, 3));
            Expect("windowed attention: output [6, 5] must have 2 heads × 2 = 4 columns", () => b.WindowedAttention(q, k, k, wide, heads, 2, 3));
            Expect("windowed attention: k [9, 4] and v [9, 4] must be [6, 4]: 3 windows of 2 keys", () => b.WindowedAttention(q, k, k, q, heads, 2, 2));
            Expect("windowed attention: output must not be the k or v tensor", () => b.WindowedAttention(k, k, k, k, heads, 3, 3));

            using var logits = b.Allocate(2, 5);
            using var other = b.Allocate(11);
            Expect("guidance: lengths differ, [2, 5] vs [11]", () => b.Guidance(logits, other, 3f, logits));
        }
        Assert.Equal(messages["cpu"], messages["ilgpu-cpu"]);
    }
}
