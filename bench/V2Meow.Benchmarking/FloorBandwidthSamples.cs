using V2Meow.Runtime.Backends;

namespace V2Meow.Benchmarking;

/// <summary>
/// The memory bandwidth a side-by-side's floor divides by, sampled around the runtime's work: a copy (read +
/// write, <see cref="CopyBandwidth"/>) before and after it, and on the CPU a read-only sweep
/// (<see cref="ReadBandwidth"/>) before, beside each decode row and after, since a decode step only reads. The
/// best sample is kept: on a shared machine a single copy or sweep can run well below what the decode's own
/// reads reach, and each decode row is itself the best of its runs.
/// </summary>
public sealed class FloorBandwidthSamples
{
    readonly IComputeBackend? _backend;
    double? _copyAfter, _readAfter;

    /// <summary>Samples given rather than measured (tests, reports rebuilt from numbers).</summary>
    public FloorBandwidthSamples(double copyBefore, double? readBefore)
    {
        CopyBefore = copyBefore;
        ReadBefore = readBefore;
    }

    FloorBandwidthSamples(IComputeBackend backend) : this(CopyBandwidth.Measure(backend), ReadBandwidth.Measure(backend)) =>
        _backend = backend;

    /// <summary>Takes the samples before the runtime's work.</summary>
    public static FloorBandwidthSamples Before(IComputeBackend backend) => new(backend);

    public double CopyBefore { get; }
    public double? ReadBefore { get; }
    /// <summary>The copy after the runtime's work; the copy before until <see cref="After"/> has run.</summary>
    public double CopyAfter => _copyAfter ?? CopyBefore;
    /// <summary>The best read-only sweep beside and after the runtime's work; null on a GPU backend or before any.</summary>
    public double? ReadAfter => _readAfter;

    /// <summary>A read-only sweep beside a decode row (the machine's bandwidth drifts over a run).</summary>
    public void Beside() => AddRead(_backend is null ? null : ReadBandwidth.Measure(_backend));

    /// <summary>The copy and a sweep after the runtime's work.</summary>
    public void After()
    {
        if (_backend is null) return;
        _copyAfter = CopyBandwidth.Measure(_backend);
        AddRead(ReadBandwidth.Measure(_backend));
    }

    /// <summary>Records a read-only sweep taken beside or after the runtime's work.</summary>
    public void AddRead(double? bytesPerSecond) => _readAfter = Max(_readAfter, bytesPerSecond);

    /// <summary>Records the copy taken after the runtime's work.</summary>
    public void AddCopyAfter(double bytesPerSecond) => _copyAfter = bytesPerSecond;

    /// <summary>The floor's bandwidth: the best of every copy and sweep.</summary>
    public double Bandwidth => Math.Max(Math.Max(CopyBefore, CopyAfter), Math.Max(ReadBefore ?? 0, ReadAfter ?? 0));

    /// <summary>The context's copy line, with the reference's own copy where it measured one.</summary>
    public string CopyLine(double? reference) =>
        $"runtime backend {Math.Max(CopyBefore, CopyAfter) / 1e9:0.0} GB/s (read + write; {CopyBefore / 1e9:0.0} before, {CopyAfter / 1e9:0.0} after the runtime's work)" +
        (reference is { } r ? $"; pytorch {r / 1e9:0.0} GB/s" : "");

    /// <summary>The context's read line, where the backend has a read-only sweep: the best before, and beside or after, the runtime's work.</summary>
    public string? ReadLine =>
        ReadBefore is { } b && ReadAfter is { } a
            ? $"runtime backend {Math.Max(b, a) / 1e9:0.0} GB/s (read only, every thread its part; {b / 1e9:0.0} before, {a / 1e9:0.0} during and after the runtime's work)"
            : null;

    static double? Max(double? a, double? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
}
