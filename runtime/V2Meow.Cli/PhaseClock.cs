using System.Diagnostics;
using System.Runtime;
using V2Meow.Runtime.Generation;

namespace V2Meow.Cli;

/// <summary>
/// Wall time of each phase of one <c>generate</c> call, from the process's start to the last output written
/// (<c>--timings</c>): what a user who runs the CLI once per video waits for. The pipeline's own stages come from
/// its <see cref="StageTiming"/>s; JIT compiling and GC pauses happen inside the phases and are shown beside them.
/// </summary>
internal sealed class PhaseClock
{
    static long s_mainStarted;

    // Top-level phases, and indented under "generation" the parts it is made of.
    readonly List<(string Phase, double Seconds)> _phases = [];
    long _lap;

    /// <summary>Called first thing in Main: the end of the runtime's own start-up.</summary>
    public static void MarkMain() => s_mainStarted = Stopwatch.GetTimestamp();

    public PhaseClock()
    {
        _lap = Stopwatch.GetTimestamp();
        long main = s_mainStarted != 0 ? s_mainStarted : _lap;
        // The kernel's start time has a 10 ms tick on Linux; that is fine for a phase of a one-shot call.
        using var self = Process.GetCurrentProcess();
        double sinceStart = (DateTime.Now - self.StartTime).TotalSeconds;
        double sinceMain = Stopwatch.GetElapsedTime(main).TotalSeconds;
        _phases.Add(("process start to main", Math.Max(0, sinceStart - sinceMain)));
        _phases.Add(("main to generate", Stopwatch.GetElapsedTime(main, _lap).TotalSeconds));
    }

    /// <summary>Ends the current phase as <paramref name="phase"/> and starts the next.</summary>
    public void Lap(string phase)
    {
        long now = Stopwatch.GetTimestamp();
        _phases.Add((phase, Stopwatch.GetElapsedTime(_lap, now).TotalSeconds));
        _lap = now;
    }

    /// <summary>Ends the generation phase, split into the pipeline's stages and what ran between them.</summary>
    public void LapGeneration(IReadOnlyList<StageTiming> stages)
    {
        long now = Stopwatch.GetTimestamp();
        double total = Stopwatch.GetElapsedTime(_lap, now).TotalSeconds;
        _phases.Add(("generation", total));
        foreach (var stage in stages) _phases.Add(($"  {stage.Stage.ToString().ToLowerInvariant()}", stage.Elapsed.TotalSeconds));
        _phases.Add(("  between stages", Math.Max(0, total - stages.Sum(s => s.Elapsed.TotalSeconds))));
        _lap = now;
    }

    public void Write(TextWriter output)
    {
        output.WriteLine($"{"phase",-26} {"time (s)",9}");
        foreach (var (phase, seconds) in _phases) output.WriteLine($"{phase,-26} {seconds,9:F3}");
        double total = _phases.Where(p => !p.Phase.StartsWith(' ')).Sum(p => p.Seconds);
        output.WriteLine($"{"total, process start on",-26} {total,9:F3}");
        output.WriteLine($"{"  of which JIT compiling",-26} {JitInfo.GetCompilationTime().TotalSeconds,9:F3}   {JitInfo.GetCompiledMethodCount()} methods");
        output.WriteLine($"{"  of which GC pauses",-26} {GC.GetTotalPauseDuration().TotalSeconds,9:F3}");
    }
}
