using System.Buffers;

namespace V2Meow.Runtime.Backends.Cpu;

/// <summary>
/// SPEC §8.2's sampler on the host, line for line weights-spec/reference/sampling.py: T = 0 is argmax with
/// the lowest index on ties; otherwise f64 weights exp((l − max) / T) over the kept ids, an inclusive running
/// sum in index order, and the first index whose sum exceeds u · total. The CPU backend samples with it;
/// the ILGPU sampling kernel (kernels/V2Meow.Kernels/Sampling.cs) does the same arithmetic in the same order.
/// </summary>
internal static class HostSampler
{
    /// <summary>An id in [lo, hi) of the full row.</summary>
    public static int Sample(ReadOnlySpan<float> logits, int lo, int hi, double temperature, int topK, double u)
    {
        var window = logits[lo..hi];
        if (temperature == 0)
        {
            int best = 0;
            for (int i = 1; i < window.Length; i++)
                if (window[i] > window[best]) best = i;
            return lo + best;
        }
        bool filtered = topK > 0 && topK < window.Length;
        bool[] keepRented = ArrayPool<bool>.Shared.Rent(window.Length);
        double[] weightsRented = ArrayPool<double>.Shared.Rent(window.Length);
        try
        {
            var keep = keepRented.AsSpan(0, window.Length);
            if (filtered) TopKSelection.MarkLargest(window, topK, keep);
            double max = double.NegativeInfinity;
            for (int i = 0; i < window.Length; i++)
                if (!filtered || keep[i]) max = Math.Max(max, window[i]);
            var weights = weightsRented.AsSpan(0, window.Length);
            double total = 0;
            for (int i = 0; i < window.Length; i++)
            {
                weights[i] = !filtered || keep[i] ? Math.Exp((window[i] - max) / temperature) : 0.0;
                total += weights[i];
            }
            double threshold = u * total, running = 0;
            for (int i = 0; i < window.Length; i++)
            {
                running += weights[i];
                if (running > threshold) return lo + i;
            }
            return hi - 1;
        }
        finally
        {
            ArrayPool<bool>.Shared.Return(keepRented);
            ArrayPool<double>.Shared.Return(weightsRented);
        }
    }
}
