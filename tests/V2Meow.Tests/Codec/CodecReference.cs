namespace V2Meow.Tests.Codec;

/// <summary>
/// The codec ops as plain float64 loops, written from SPEC §9 and nothing else, for the op tests to compare
/// against. Each returns the value and Σ|terms|, the scale an f32 accumulation error is proportional to.
/// </summary>
public static class CodecReference
{
    public static float[] Random(int count, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)((r.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    public static float[] Poison(int count) => Enumerable.Repeat(float.NaN, count).ToArray();

    /// <summary>SPEC §9.2 Conv on x [ci, L], w [co, ci, k]; P_left from the padding.</summary>
    public static (double[] Value, double[] Magnitude) Conv1d(float[] x, float[] w, float[] bias, int ci, int co, int length,
        int k, int dilation, bool causal, float[]? residual = null)
    {
        int total = (k - 1) * dilation, left = causal ? total : total / 2;
        var value = new double[co * length];
        var magnitude = new double[co * length];
        for (int o = 0; o < co; o++)
            for (int t = 0; t < length; t++)
            {
                double acc = bias[o], mag = Math.Abs(bias[o]);
                for (int i = 0; i < ci; i++)
                    for (int j = 0; j < k; j++)
                    {
                        int s = t + j * dilation - left;
                        if (s < 0 || s >= length) continue;
                        double term = (double)w[(o * ci + i) * k + j] * x[i * length + s];
                        acc += term;
                        mag += Math.Abs(term);
                    }
                if (residual is not null)
                {
                    acc += residual[o * length + t];
                    mag += Math.Abs(residual[o * length + t]);
                }
                value[o * length + t] = acc;
                magnitude[o * length + t] = mag;
            }
        return (value, magnitude);
    }

    /// <summary>SPEC §9.2 Up: the full transposed convolution, then the window [start, start + T·s).</summary>
    public static (double[] Value, double[] Magnitude) ConvTranspose1d(float[] x, float[] w, float[] bias, int ci, int co,
        int frames, int k, int stride, bool causal)
    {
        int fullLength = (frames - 1) * stride + k;
        var full = new double[co * fullLength];
        var fullMag = new double[co * fullLength];
        for (int o = 0; o < co; o++)
            for (int tau = 0; tau < fullLength; tau++)
            {
                full[o * fullLength + tau] = bias[o];
                fullMag[o * fullLength + tau] = Math.Abs(bias[o]);
            }
        for (int i = 0; i < ci; i++)
            for (int o = 0; o < co; o++)
                for (int t = 0; t < frames; t++)
                    for (int j = 0; j < k; j++)
                    {
                        double term = (double)w[(i * co + o) * k + j] * x[i * frames + t];
                        full[o * fullLength + t * stride + j] += term;
                        fullMag[o * fullLength + t * stride + j] += Math.Abs(term);
                    }
        int start = causal ? 0 : stride / 2, length = frames * stride;
        var value = new double[co * length];
        var magnitude = new double[co * length];
        for (int o = 0; o < co; o++)
            for (int u = 0; u < length; u++)
            {
                // Past the full length (only if k < 2s) a sample receives no taps: the bias alone.
                int tau = u + start;
                value[o * length + u] = tau < fullLength ? full[o * fullLength + tau] : bias[o];
                magnitude[o * length + u] = tau < fullLength ? fullMag[o * fullLength + tau] : Math.Abs(bias[o]);
            }
        return (value, magnitude);
    }

    /// <summary>
    /// SPEC §9.3 Down on x [ci, L], w [co, ci, k], stride s: y[o, t] = bias + Σ_i Σ_j w[o, i, j]·xp[i, t·s + j], xp
    /// padded by P_left of P_total = k − s.
    /// </summary>
    public static (double[] Value, double[] Magnitude) StridedConv1d(float[] x, float[] w, float[] bias, int ci, int co, int length,
        int k, int stride, bool causal)
    {
        int total = k - stride, left = causal ? total : total / 2, outLength = length / stride;
        var value = new double[co * outLength];
        var magnitude = new double[co * outLength];
        for (int o = 0; o < co; o++)
            for (int t = 0; t < outLength; t++)
            {
                double acc = bias[o], mag = Math.Abs(bias[o]);
                for (int i = 0; i < ci; i++)
                    for (int j = 0; j < k; j++)
                    {
                        int s = t * stride + j - left;
                        if (s < 0 || s >= length) continue;
                        double term = (double)w[(o * ci + i) * k + j] * x[i * length + s];
                        acc += term;
                        mag += Math.Abs(term);
                    }
                value[o * outLength + t] = acc;
                magnitude[o * outLength + t] = mag;
            }
        return (value, magnitude);
    }

    /// <summary>
    /// SPEC §9.3's code search as written, in float32: codes [levels, T] of latent [D, T] against codebooks [Q, K, D],
    /// each difference, square and sum rounded (C# does not fuse them), the first smallest distance winning.
    /// </summary>
    public static int[] RvqEncode(float[] codebooks, int k, int d, float[] latent, int frames, int levels)
    {
        var codes = new int[levels * frames];
        var r = new float[d];
        for (int t = 0; t < frames; t++)
        {
            for (int j = 0; j < d; j++) r[j] = latent[j * frames + t];
            for (int q = 0; q < levels; q++)
            {
                int best = 0;
                float bestDistance = float.PositiveInfinity;
                for (int code = 0; code < k; code++)
                {
                    float acc = 0f;
                    for (int j = 0; j < d; j++)
                    {
                        float e = r[j] - codebooks[(q * k + code) * d + j];
                        float square = e * e;
                        acc += square;
                    }
                    if (acc < bestDistance) (bestDistance, best) = (acc, code);
                }
                codes[q * frames + t] = best;
                for (int j = 0; j < d; j++) r[j] -= codebooks[(q * k + best) * d + j];
            }
        }
        return codes;
    }

    public static double Elu(double x) => x > 0 ? x : Math.Exp(x) - 1;

    /// <summary>SPEC §9.1: latent [D, T] = Σ_{q &lt; levels} codebooks[q, codes[q, t], :].</summary>
    public static (double[] Value, double[] Magnitude) Rvq(float[] codebooks, int k, int d, int[] codes, int levels, int frames)
    {
        var value = new double[d * frames];
        var magnitude = new double[d * frames];
        for (int q = 0; q < levels; q++)
            for (int t = 0; t < frames; t++)
                for (int c = 0; c < d; c++)
                {
                    double v = codebooks[(q * k + codes[q * frames + t]) * d + c];
                    value[c * frames + t] += v;
                    magnitude[c * frames + t] += Math.Abs(v);
                }
        return (value, magnitude);
    }
}
