using System.Diagnostics;
using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Benchmarking;

/// <summary>
/// Wall-clock timing the way bench/pytorch/reference_bench.py times the reference: one warm-up run, then the
/// best of <c>repeats</c> runs, each ended by a synchronise, so both columns of the table mean the same.
/// </summary>
public static class Timing
{
    /// <summary>Seconds of the fastest of <paramref name="repeats"/> runs after one warm-up.</summary>
    public static double Best(IComputeBackend backend, int repeats, Action run)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        run(); // warm-up: JIT, first-touch of pools and scratch, kernel loading
        backend.Synchronize();
        double best = double.PositiveInfinity;
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            run();
            backend.Synchronize();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return best;
    }
}
