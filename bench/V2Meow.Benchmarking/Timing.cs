using System.Diagnostics;
using V2Meow.Runtime.Backends;

namespace V2Meow.Benchmarking;

/// <summary>
/// Wall-clock timing the way bench/pytorch/reference_bench.py times the reference: warm-up, then the best of
/// <c>repeats</c> runs, each ended by a synchronise, so both columns of the table mean the same.
/// </summary>
public static class Timing
{
    /// <summary>Warm-up runs continue (up to <see cref="MaxWarmups"/>) until this much time has passed.</summary>
    const double WarmupSeconds = 3.0;
    const int MaxWarmups = 500;

    /// <summary>Seconds of the fastest of <paramref name="repeats"/> runs after the warm-up.</summary>
    public static double Best(IComputeBackend backend, int repeats, Action run)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        // Warm-up: kernel loading, first touch of pools and scratch, and the JIT. One run is the reference's
        // warm-up (PyTorch has no JIT to wait for). .NET's tiered JIT reaches its final code only after
        // hundreds of calls and background recompiles: the tiny bundle's stage-1 prefill takes 20–50 ms for
        // its first dozens of runs and settles under 2 ms after 2–3 s on two cores. So runs repeat for 3 s
        // (a run longer than that warms up once): both columns then time steady-state code.
        long warmup = Stopwatch.GetTimestamp();
        for (int i = 0; i < MaxWarmups && (i == 0 || Stopwatch.GetElapsedTime(warmup).TotalSeconds < WarmupSeconds); i++)
        {
            run();
            backend.Synchronize();
        }
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
