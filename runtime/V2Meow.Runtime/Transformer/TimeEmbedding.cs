using V2Meow.Loaders.Bundles;

namespace V2Meow.Runtime.Transformer;

/// <summary>
/// Stage 1's sinusoidal time embedding (SPEC §6.8). Relative position biases tell a stack how far apart its
/// own positions are, but nothing tells the decoder which video row its token lies under; adding the same
/// function of time in seconds to both sides lets cross-attention line them up. Computed in double, as the
/// reference does, and rounded to float once.
/// </summary>
internal static class TimeEmbedding
{
    /// <summary>[times.Length, d] row-major: sin and cos of 2π·t/Pᵢ for the d/2 periods Pᵢ.</summary>
    public static float[] Rows(TimeEmbeddingConfig config, int d, ReadOnlySpan<double> times)
    {
        int half = d / 2;
        var periods = new double[half];
        for (int i = 0; i < half; i++)
            periods[i] = config.MinPeriod * Math.Pow(config.MaxPeriod / config.MinPeriod, (double)i / Math.Max(half - 1, 1));
        var rows = new float[times.Length * d];
        for (int r = 0; r < times.Length; r++)
            for (int i = 0; i < half; i++)
            {
                // Left to right as the reference's 2 * math.pi * t / period.
                double angle = 2 * Math.PI * times[r] / periods[i];
                rows[r * d + 2 * i] = (float)Math.Sin(angle);
                rows[r * d + 2 * i + 1] = (float)Math.Cos(angle);
            }
        return rows;
    }

    /// <summary>Encoder stream position p ↦ the middle of its frame, (p / tokensPerFrame + 0.5) / videoFps seconds.</summary>
    public static double[] FrameTimes(int positions, double videoFps, int tokensPerFrame = 1)
    {
        var times = new double[positions];
        for (int p = 0; p < positions; p++) times[p] = (p / tokensPerFrame + 0.5) / videoFps;
        return times;
    }

    /// <summary>Decoder position p (BOS at 0) ↦ p / semanticHz, the time of the token it predicts.</summary>
    public static double[] TokenTimes(int positions, double semanticHz)
    {
        var times = new double[positions];
        for (int p = 0; p < positions; p++) times[p] = p / semanticHz;
        return times;
    }
}
