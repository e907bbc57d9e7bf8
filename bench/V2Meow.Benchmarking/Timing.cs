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
    /// <summary>Timed runs continue past the requested repeats until this much time has been timed.</summary>
    public const double MinimumTimedSeconds = 2.0;
    const int MaxTimedRuns = 100;

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
        return BestTimed(repeats, () =>
        {
            run();
            backend.Synchronize();
        });
    }

    /// <summary>
    /// Seconds of the fastest timed run: at least <paramref name="repeats"/> runs, and more (up to
    /// <see cref="MaxTimedRuns"/>) until <see cref="MinimumTimedSeconds"/> have been timed. On a shared
    /// virtual machine a 0.15 s decode swings by a third from one run to the next, so the best of three short
    /// runs says more about the neighbours than about the code; long runs (a prefill) stay at
    /// <paramref name="repeats"/>.
    /// </summary>
    public static double BestTimed(int repeats, Action runToCompletion)
    {
        double best = double.PositiveInfinity, timed = 0;
        for (int i = 0; i < repeats || (timed < MinimumTimedSeconds && i < MaxTimedRuns); i++)
        {
            long start = Stopwatch.GetTimestamp();
            runToCompletion();
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            best = Math.Min(best, seconds);
            timed += seconds;
        }
        return best;
    }
}
