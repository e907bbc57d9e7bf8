namespace V2Meow.Tests.Backends;

/// <summary>Float64 loops the op tests compare against: written for clarity, straight from SPEC §6.</summary>
internal static class Float64Reference
{
    public static float[] Random(int count, int seed, double scale = 1)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)((r.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    public static float[] Poison(int count) => Enumerable.Repeat(float.NaN, count).ToArray();

    /// <summary>erf to ~1e-15: its Maclaurin series below 3, a continued fraction for erfc above.</summary>
    public static double Erf(double x)
    {
        double a = Math.Abs(x);
        double result;
        if (a < 3)
        {
            double term = a, sum = a;
            for (int n = 1; n < 200 && Math.Abs(term) > 1e-17 * Math.Abs(sum); n++)
            {
                term *= -a * a / n;
                sum += term / (2 * n + 1);
            }
            result = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            // erfc(a) = exp(-a²)/√π · 1/(a + 1/2/(a + 1/(a + 3/2/(a + ...)))), evaluated from the tail.
            double f = a;
            for (int n = 60; n >= 1; n--) f = a + n / 2.0 / f;
            result = 1 - Math.Exp(-a * a) / Math.Sqrt(Math.PI) / f;
        }
        return x < 0 ? -result : result;
    }

    public static double Gelu(double x) => 0.5 * x * (1 + Erf(x / Math.Sqrt(2)));

    public static double[] LayerNorm(float[] x, float[] w, float[]? b, int rows, int d, double eps)
    {
        var y = new double[rows * d];
        for (int r = 0; r < rows; r++)
        {
            double mean = 0, var = 0, ms = 0;
            for (int c = 0; c < d; c++) mean += x[r * d + c];
            mean /= d;
            for (int c = 0; c < d; c++)
            {
                var += (x[r * d + c] - mean) * (x[r * d + c] - mean);
                ms += (double)x[r * d + c] * x[r * d + c];
            }
            var /= d;
            ms /= d;
            for (int c = 0; c < d; c++)
                y[r * d + c] = b is null
                    ? x[r * d + c] / Math.Sqrt(ms + eps) * w[c]
                    : (x[r * d + c] - mean) / Math.Sqrt(var + eps) * w[c] + b[c];
        }
        return y;
    }

    /// <summary>
    /// softmax(scale · q·k + bias(key − queryPos)) · v for one sequence, heads side by side;
    /// query i sits at position queryOffset + i and sees keys 0..limit(i).
    /// </summary>
    public static double[] Attention(float[] q, float[] k, float[] v, int n, int m, int heads, int dh, double scale,
        Func<int, int, double>? bias, bool causal, int queryOffset = 0)
    {
        int inner = heads * dh;
        var y = new double[n * inner];
        for (int i = 0; i < n; i++)
            for (int h = 0; h < heads; h++)
            {
                int position = queryOffset + i;
                int count = causal ? position + 1 : m;
                var s = new double[count];
                for (int j = 0; j < count; j++)
                {
                    double dot = 0;
                    for (int d = 0; d < dh; d++) dot += (double)q[i * inner + h * dh + d] * k[j * inner + h * dh + d];
                    s[j] = scale * dot + (bias?.Invoke(h, j - position) ?? 0);
                }
                double max = s.Max(), sum = 0;
                for (int j = 0; j < count; j++) sum += s[j] = Math.Exp(s[j] - max);
                for (int d = 0; d < dh; d++)
                {
                    double acc = 0;
                    for (int j = 0; j < count; j++) acc += s[j] * v[j * inner + h * dh + d];
                    y[i * inner + h * dh + d] = acc / sum;
                }
            }
        return y;
    }

    /// <summary>Largest |actual − expected| over max(|expected|): the relative error the goldens use too.</summary>
    public static double RelativeError(float[] actual, double[] expected)
    {
        double worst = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, double.IsNaN(actual[i]) ? double.PositiveInfinity : Math.Abs(actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        return worst / Math.Max(scale, 1e-30);
    }
}
