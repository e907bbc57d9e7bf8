using System.Diagnostics;

namespace V2Meow.Benchmarking;

/// <summary>
/// A sweep over host memory split over threads, as the CPU floor's copy and read measurements run it: each
/// thread one contiguous part of [0, length), the way the backend's workers stream a product's weights.
/// </summary>
internal static class ParallelSweep
{
    /// <summary>
    /// Seconds of the fastest of <paramref name="repeats"/> sweeps after one warm-up; <paramref name="part"/>
    /// gets (part index, first element, element count) for each of <paramref name="threads"/> parts.
    /// </summary>
    public static double BestSeconds(int length, int threads, int repeats, Action<int, int, int> part)
    {
        int parts = Math.Max(1, threads);
        var options = new ParallelOptions { MaxDegreeOfParallelism = parts };
        void Sweep() => Parallel.For(0, parts, options, p =>
        {
            long start = (long)length * p / parts, end = (long)length * (p + 1) / parts;
            part(p, (int)start, (int)(end - start));
        });
        Sweep();
        double best = double.PositiveInfinity;
        for (int i = 0; i < repeats; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Sweep();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return best;
    }
}
