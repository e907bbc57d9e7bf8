using System.Runtime.InteropServices;
using V2Meow.Benchmarking.Vmas;
using V2Meow.Loaders.Bundles;
using V2Meow.Runtime;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Backends.Cpu;
using V2Meow.Runtime.Families.V2Meow;
using V2Meow.Runtime.Families.Vmas;

namespace V2Meow.Benchmarking;

/// <summary>What <see cref="SideBySide.Run"/> measures and how.</summary>
public sealed record SideBySideOptions
{
    /// <summary>A bundle folder; null with <see cref="Size"/> set takes (and makes if needed) the bench bundle of that size.</summary>
    public string? Bundle { get; init; }
    public string? Size { get; init; }
    /// <summary>auto, cpu or cuda: the runtime's backend; the reference runs on CUDA exactly when the runtime does.</summary>
    public DeviceKind Device { get; init; } = DeviceKind.Auto;
    /// <summary>Batch-1 decode steps per stage (capped at the window, as the reference caps them).</summary>
    public int DecodeSteps { get; init; } = 64;
    /// <summary>Positions of the teacher-forced prefill; 0 runs the whole window.</summary>
    public int PrefillTokens { get; init; }
    /// <summary>The batched decode the runtime also reports (the reference decodes one sequence only).</summary>
    public int Batch { get; init; } = 8;
    public double CodecSeconds { get; init; } = 2.0;
    public int Repeats { get; init; } = 3;
    /// <summary>CPU threads of both sides; 0 takes every core.</summary>
    public int Threads { get; init; }
    public string? Python { get; init; }
    public string? Cache { get; init; }
    public string? Repository { get; init; }
    /// <summary>Measure the runtime only (no PyTorch column); a bundle must then be given or already cached.</summary>
    public bool SkipReference { get; init; }
    /// <summary>Leave out the ONNX Runtime column (v2meow/1 on the CPU: the reference exported to ONNX, run by ONNX Runtime).</summary>
    public bool SkipOnnxRuntime { get; init; }
}

/// <summary>One line of the table: a stage (or the codec) in one phase, in its units per second.</summary>
public sealed record SideBySideRow(string Stage, string Phase, string Unit, double Runtime, double? Reference, double? Floor,
    double? OnnxRuntime = null)
{
    public double? Ratio => Reference is > 0 ? Runtime / Reference : null;
    /// <summary>runtime / ONNX Runtime on the same work.</summary>
    public double? OnnxRatio => OnnxRuntime is > 0 ? Runtime / OnnxRuntime : null;
    public double? OfFloor => Floor is > 0 ? Runtime / Floor : null;
}

/// <summary>What a side-by-side run of any family gives back: the context, the rows, and the whole report as text.</summary>
public interface ISideBySideReport
{
    /// <summary>date, commit, machine, runtime, pytorch, bundle, timing, copy, read: what every figure needs beside it.</summary>
    IReadOnlyDictionary<string, string> Context { get; }
    /// <summary>The throughput table's rows.</summary>
    IReadOnlyList<SideBySideRow> Rows { get; }
    /// <summary>The report as plain text: context, the throughput table, the family's memory table, what the columns mean.</summary>
    string Format();
}

/// <summary>Everything one side-by-side run of a v2meow/1 bundle measured, with the context every figure needs.</summary>
public sealed record SideBySideReport(
    IReadOnlyDictionary<string, string> Context,
    IReadOnlyList<SideBySideRow> Rows,
    IReadOnlyList<StageFootprint> Footprints,
    int Batch,
    int DecodeSteps,
    ReferenceTimings? Reference,
    double FloorBytesPerSecond,
    long CodecWeightBytes) : ISideBySideReport
{
    public string Format() => SideBySideTable.Format(this);
}

/// <summary>
/// What every family's side-by-side starts from: the repository's scripts, Python (when needed), the bundle
/// folder (exported first for a bench size), the threads and the runtime's backend, which it owns.
/// </summary>
public sealed class SideBySideSession : IDisposable
{
    public required ReferenceScripts Scripts { get; init; }
    /// <summary>Null when neither the reference nor an export needs it.</summary>
    public required PythonTorch? Python { get; init; }
    public required string Folder { get; init; }
    public required int Threads { get; init; }
    public required IComputeBackend Backend { get; init; }
    /// <summary>"cuda" exactly when the runtime runs on CUDA, else "cpu".</summary>
    public required string ReferenceDevice { get; init; }

    public void Dispose() => Backend.Dispose();
}

/// <summary>
/// The runtime and the PyTorch reference on the same bundle, the same work and the same threads and device,
/// in one run: for v2meow/1, per stage a teacher-forced prefill of one window and a batch-1 decode of N tokens
/// through the KV cache (plus the runtime's batched decode), the codec on the same seconds of audio, and the
/// decode bandwidth floor from the backend's memory bandwidth (copy, and on the CPU a read-only sweep); for vmas/1 the same questions of its video
/// encoder, music decoder and codec (<see cref="VmasSideBySide"/>).
/// </summary>
public static class SideBySide
{
    public static IReadOnlyList<StageId> Stages => StageIds.All;

    /// <summary>
    /// Rounds over the three stages, each timing every row of each stage once, the best of the rounds kept: on a
    /// shared machine a neighbour's burst lasts tens of seconds, long enough to spoil all of one stage's rows
    /// when each stage is timed once (in two runs of the same code a minute apart, the stage that ran slow swapped,
    /// by up to 1.5×). Spread over the run, every stage gets its share of the quiet moments. ONNX Runtime's rows are
    /// timed the same way.
    /// </summary>
    const int Rounds = 3;

    /// <summary>
    /// Measures the bundle's family side by side: v2meow/1 by its stages (<see cref="SideBySideReport"/>), vmas/1 by
    /// its encoder, decoder and codec (<see cref="VmasSideBySide"/>).
    /// </summary>
    public static ISideBySideReport Run(SideBySideOptions options, Action<string>? progress = null)
    {
        if (options.DecodeSteps < 1) throw new ArgumentException("decode steps must be at least 1");
        if (options.Repeats < 1) throw new ArgumentException("repeats must be at least 1");
        if (options.Batch < 1) throw new ArgumentException("batch must be at least 1");
        if (options.Threads < 0) throw new ArgumentException("threads must be 0 (all cores) or more");
        if (options.Bundle is null && options.Size is null) throw new ArgumentException("give a bundle folder or a bench size");

        var scripts = ReferenceScripts.Locate(options.Repository);
        bool needPython = !options.SkipReference || options.Bundle is null;
        var python = needPython ? PythonTorch.Find(options.Python) : null;
        string folder = options.Bundle ?? BenchBundles.Ensure(options.Size!, scripts, python!, options.Cache, progress);
        int threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;

        var backend = options.Device == DeviceKind.Cpu || (options.Device == DeviceKind.Auto && !HasGpu())
            ? new CpuBackend(threads)
            : DeviceCatalog.Open(options.Device);
        using var session = new SideBySideSession
        {
            Scripts = scripts,
            Python = python,
            Folder = folder,
            Threads = threads,
            Backend = backend,
            ReferenceDevice = backend.Kind == DeviceKind.Cuda ? "cuda" : "cpu",
        };
        if (!options.SkipReference && session.ReferenceDevice == "cuda" && !python!.CudaAvailable)
            throw new BenchmarkException($"{python.Executable}: torch {python.TorchVersion} sees no CUDA device; the reference cannot run beside the runtime on cuda");

        // Each family brings its own workloads; the table, the timing and the floor are shared.
        return ModelFamilies.Of(folder) switch
        {
            V2MeowFamily => RunStages(options, session, progress),
            VmasFamily => VmasSideBySide.Run(options, session, progress),
            var family => throw new BenchmarkException($"{folder}: a {family.Format} bundle; this build benchmarks " +
                $"{V2MeowFamily.Instance.Format} and {VmasFamily.Instance.Format} bundles only"),
        };
    }

    /// <summary>A v2meow/1 bundle: per stage prefill and decode at batch 1 and <see cref="SideBySideOptions.Batch"/>, then the codec.</summary>
    static SideBySideReport RunStages(SideBySideOptions options, SideBySideSession session, Action<string>? progress)
    {
        var (scripts, python, folder, threads, backend) = (session.Scripts, session.Python, session.Folder, session.Threads, session.Backend);
        string referenceDevice = session.ReferenceDevice;
        using var bundle = Bundle.Open(folder);
        var config = bundle.Config;
        progress?.Invoke($"runtime on {backend.Device.Name} ({DeviceKinds.Name(backend.Kind)}), bundle {folder}");

        var floor = FloorBandwidthSamples.Before(backend);
        int matrixBytes = StageFootprint.MatrixElementBytes(backend, bundle);
        var rows = new List<SideBySideRow>();
        var footprints = new List<StageFootprint>();
        var measured = new Dictionary<StageId, (double Prefill, int PrefillTokens, double Decode, int Steps, double Batched)>();
        var workloads = new List<StageWorkload>();
        try
        {
            foreach (var stage in Stages)
            {
                footprints.Add(StageFootprint.Of(bundle, stage, matrixBytes));
                workloads.Add(StageWorkload.Load(bundle, stage, backend));
            }
            for (int round = 1; round <= Rounds; round++)
                for (int s = 0; s < workloads.Count; s++)
                {
                    var (stage, workload) = (Stages[s], workloads[s]);
                    int prefillTokens = options.PrefillTokens > 0 ? Math.Min(options.PrefillTokens, workload.WindowTokens) : workload.WindowTokens;
                    int steps = Math.Min(options.DecodeSteps, workload.WindowTokens);
                    progress?.Invoke($"runtime {stage}, round {round} of {Rounds}: prefill of {prefillTokens} positions, decode of {steps} tokens at batch 1 and {options.Batch}");
                    double prefill = prefillTokens / Timing.Best(backend, options.Repeats, () => workload.Prefill(prefillTokens));
                    double decode = steps / Timing.Best(backend, options.Repeats, () => workload.Decode(steps, 1));
                    double batched = (double)steps * options.Batch / Timing.Best(backend, options.Repeats, () => workload.Decode(steps, options.Batch));
                    measured[stage] = measured.TryGetValue(stage, out var best)
                        ? (Math.Max(best.Prefill, prefill), prefillTokens, Math.Max(best.Decode, decode), steps, Math.Max(best.Batched, batched))
                        : (prefill, prefillTokens, decode, steps, batched);
                    floor.Beside();
                }
        }
        finally
        {
            foreach (var workload in workloads) workload.Dispose();
        }
        progress?.Invoke($"runtime codec: {options.CodecSeconds:0.##} s of audio");
        double codecRate;
        long codecWeights;
        using (var codec = CodecWorkload.Load(bundle, backend, options.CodecSeconds))
        {
            codecRate = codec.AudioSeconds / Timing.Best(backend, options.Repeats, () => codec.Decode());
            codecWeights = codec.WeightBytes;
        }

        floor.After();
        double bandwidth = floor.Bandwidth;
        // Peak resident memory of this process so far: the runtime's work only (the reference runs in its own process).
        long resident = PeakResidentBytes();

        OnnxRuntimeTimings? onnx = null;
        if (!options.SkipReference && !options.SkipOnnxRuntime && python is not null && backend.Kind == DeviceKind.Cpu)
        {
            progress?.Invoke($"onnxruntime on the reference's ONNX export, {threads} threads");
            onnx = OnnxRuntimeTimings.Measure(python, scripts, folder, options.Cache ?? BenchBundles.DefaultCache(), options.DecodeSteps,
                options.PrefillTokens, options.Batch, options.CodecSeconds, options.Repeats, threads, line => progress?.Invoke("  " + line), Rounds);
        }

        ReferenceTimings? reference = null;
        if (!options.SkipReference && python is not null)
        {
            progress?.Invoke($"pytorch reference ({python.Executable}, torch {python.TorchVersion}) on {referenceDevice}, {threads} threads");
            reference = ReferenceTimings.Measure(python, scripts, folder, referenceDevice, options.DecodeSteps,
                options.PrefillTokens, options.CodecSeconds, options.Repeats, threads, line => progress?.Invoke("  " + line));
        }

        foreach (var id in Stages)
        {
            var m = measured[id];
            string stage = id.Name();
            var footprint = footprints.Single(f => f.Stage == stage);
            var r = reference?.Stages.GetValueOrDefault(stage);
            var o = onnx?.Stages.GetValueOrDefault(stage);
            rows.Add(new SideBySideRow(stage, $"prefill b1 ({m.PrefillTokens} tok)", "tok/s", m.Prefill, r?.PrefillTokensPerSecond, null,
                o?.PrefillTokensPerSecond));
            rows.Add(new SideBySideRow(stage, $"decode b1 ({m.Steps} tok)", "tok/s", m.Decode, r?.DecodeTokensPerSecond,
                bandwidth / footprint.DecodeBytesPerStep(m.Steps, 1), o?.DecodeTokensPerSecond));
            rows.Add(new SideBySideRow(stage, $"decode b{options.Batch} ({m.Steps} tok)", "tok/s", m.Batched, null,
                options.Batch * bandwidth / footprint.DecodeBytesPerStep(m.Steps, options.Batch), o?.BatchDecodeTokensPerSecond));
        }
        rows.Add(new SideBySideRow("codec", $"decode ({options.CodecSeconds:0.##} s audio)", "audio s/s", codecRate, reference?.CodecAudioSecondsPerSecond, null,
            onnx?.CodecAudioSecondsPerSecond));

        var context = Context(session, options, config.Name, config.DType, matrixBytes,
            reference is null ? null : $"{reference.Engine} on {reference.Device}, {reference.Threads} threads, weights f32");
        context["timing"] += $"; the runtime's{(onnx is null ? "" : " and ONNX Runtime's")} stage rows in {Rounds} rounds over the three stages, the best kept" +
            (reference is null ? "" : " (PyTorch's once)");
        if (onnx is not null)
            context["onnxrt"] = $"{onnx.Engine} on cpu, {onnx.Threads} threads, every graph optimisation (ORT_ENABLE_ALL), weights f32 " +
                $"(the reference's, exported with torch.onnx); outputs within {onnx.WorstCheckError:0.#e0} of PyTorch's before timing";
        context["copy"] = floor.CopyLine(reference?.CopyBytesPerSecond);
        if (floor.ReadLine is { } read) context["read"] = read;
        context["memory"] = $"runtime process peak resident {SideBySideTable.Bytes(resident)} (bundle, KV pools and scratch of every stage and the codec)";
        return new SideBySideReport(context, rows, footprints, options.Batch, options.DecodeSteps, reference, bandwidth, codecWeights);
    }

    /// <summary>
    /// The context lines every family's report opens with: date, commit, machine, the runtime's backend and
    /// weight format, the reference (or "not run"), the bundle and how the timing was done.
    /// </summary>
    public static Dictionary<string, string> Context(SideBySideSession session, SideBySideOptions options, string name, string dtype,
        int matrixBytes, string? reference)
    {
        var backend = session.Backend;
        return new Dictionary<string, string>
        {
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture),
            ["commit"] = session.Scripts.Commit(),
            ["machine"] = Machine(),
            ["runtime"] = $".NET {Environment.Version}, backend {DeviceKinds.Name(backend.Kind)}: {backend.Device.Name}" +
                (backend.Kind == DeviceKind.Cpu ? $", {session.Threads} threads" : "") +
                $", weights {(matrixBytes == 2 ? dtype + " kept 16-bit" : "f32")}",
            ["pytorch"] = reference ?? "not run",
            ["bundle"] = $"{(name.Length > 0 ? name : "(unnamed)")} ({dtype}) at {session.Folder}",
            ["timing"] = $"best of {options.Repeats} after a warm-up, every column; the runtime and ONNX Runtime also time runs until {Timing.MinimumTimedSeconds:0} s have been timed (short runs vary on a shared machine), and the runtime repeats short warm-ups for 3 s, for its tiered JIT",
        };
    }

    /// <summary>VmHWM of this process (Linux); the current working set elsewhere.</summary>
    static long PeakResidentBytes()
    {
        try
        {
            if (File.Exists("/proc/self/status"))
                foreach (string line in File.ReadLines("/proc/self/status"))
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                        return long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    static bool HasGpu() => DeviceCatalog.List().Any(d => d.Kind is DeviceKind.Cuda or DeviceKind.OpenCL);

    static string Machine()
    {
        string cpu = "";
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "";
        }
        catch (IOException) { }
        return $"{RuntimeInformation.OSDescription.Trim()}, {RuntimeInformation.ProcessArchitecture}, {Environment.ProcessorCount} cores" +
            (cpu.Length > 0 ? $" ({cpu})" : "");
    }
}
