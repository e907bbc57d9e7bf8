namespace V2Meow.Tests.Backends;

/// <summary>Add and MatMul on both backends against a float64 loop on fresh random inputs.</summary>
public class BasicOpsTests(BackendFixture backends) : IClassFixture<BackendFixture>
{
    public static TheoryData<string> Backends => BackendFixture.Names;

    static float[] Random(int count, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void AddMatchesFloat64(string backendName)
    {
        var backend = backends.Get(backendName);
        foreach (int n in new[] { 1, 7, 64, 1000 })
        {
            float[] a = Random(n, n), b = Random(n, n + 1);
            using var ta = backend.Upload(a, n);
            using var tb = backend.Upload(b, n);
            using var tc = backend.Upload(Enumerable.Repeat(float.NaN, n).ToArray(), n); // poisoned
            backend.Add(ta, tb, tc);
            var c = new float[n];
            backend.Download(tc, c);
            // f32 add of two f32 values is correctly rounded: it must equal the rounded f64 sum exactly.
            for (int i = 0; i < n; i++) Assert.Equal((float)((double)a[i] + b[i]), c[i]);
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void MatMulMatchesFloat64(string backendName)
    {
        var backend = backends.Get(backendName);
        // M = 1 is the GEMV path; odd sizes leave partial tiles; K = 67 is not a multiple of any tile.
        foreach (var (m, k, n) in new[] { (1, 33, 17), (1, 256, 64), (5, 67, 9), (16, 32, 48), (19, 41, 23) })
        {
            float[] x = Random(m * k, m * 1000 + k), w = Random(n * k, n * 1000 + k);
            using var tx = backend.Upload(x, m, k);
            using var tw = backend.Upload(w, n, k);
            using var ty = backend.Upload(Enumerable.Repeat(float.NaN, m * n).ToArray(), m, n);
            backend.MatMul(tx, tw, ty);
            var y = new float[m * n];
            backend.Download(ty, y);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double expected = 0, magnitude = 0;
                    for (int t = 0; t < k; t++)
                    {
                        expected += (double)x[i * k + t] * w[j * k + t];
                        magnitude += Math.Abs((double)x[i * k + t] * w[j * k + t]);
                    }
                    // f32 accumulation in a different order than the f64 loop: error bounded by
                    // k · eps · Σ|xᵢwᵢ|; 1e-6 · Σ|xᵢwᵢ| sits well above that for k ≤ 256.
                    Assert.True(Math.Abs(y[i * n + j] - expected) <= 1e-6 * magnitude + 1e-7,
                        $"{backendName} [{m},{k},{n}] at ({i},{j}): {y[i * n + j]} vs {expected}");
                }
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void MismatchedShapesAreRejected(string backendName)
    {
        var backend = backends.Get(backendName);
        using var x = backend.Allocate(2, 3);
        using var w = backend.Allocate(4, 5);
        using var y = backend.Allocate(2, 4);
        var e = Assert.Throws<ArgumentException>(() => backend.MatMul(x, w, y));
        Assert.Contains("[2, 3]", e.Message);
    }

    [Fact]
    public void TensorsCannotCrossBackends()
    {
        using var a = backends.Get("cpu").Allocate(4);
        using var b = backends.Get("ilgpu-cpu").Allocate(4);
        Assert.Throws<ArgumentException>(() => backends.Get("cpu").Add(a, b, a));
    }
}
