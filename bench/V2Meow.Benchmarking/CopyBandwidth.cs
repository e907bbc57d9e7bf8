using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Backends.Cpu;

namespace V2Meow.Benchmarking;

/// <summary>
/// Device-to-device copy bandwidth of a backend, counting bytes read and written (as reference_bench.py's
/// copy_bandwidth does): the ceiling for a bandwidth-bound decode step, which must at least read every
/// weight once.
/// </summary>
public static class CopyBandwidth
{
    /// <summary>64 MiB: far past any cache level, as in the reference script.</summary>
    public const int DefaultBytes = 64 * 1024 * 1024;

    /// <summary>Bytes per second (read + write) of the best of <paramref name="repeats"/> copies after a warm-up.</summary>
    public static double Measure(IComputeBackend backend, int bytes = DefaultBytes, int repeats = 5)
    {
        int columns = 1024, rows = Math.Max(1, bytes / sizeof(float) / columns);
        double moved = 2.0 * rows * columns * sizeof(float);
        if (backend is CpuBackend)
            return moved / HostCopySeconds(rows * columns, backend.Device.ProcessorCount, repeats);
        using var source = backend.Allocate(rows, columns);
        using var destination = backend.Allocate(rows, columns);
        return moved / Timing.Best(backend, repeats, () => backend.CopyRows(source, 0, destination, 0, rows));
    }

    /// <summary>
    /// The CPU backend's tensors are managed arrays and its op-level copy (CopyRows) runs on one thread; the
    /// memory system's ceiling is reached only with every worker copying, as the backend's GEMV streams
    /// weights with every worker. So the floor is taken from a copy split over the backend's threads.
    /// </summary>
    static double HostCopySeconds(int length, int threads, int repeats)
    {
        var source = new float[length];
        var destination = new float[length];
        source.AsSpan().Fill(1f);
        return ParallelSweep.BestSeconds(length, threads, repeats,
            (_, start, count) => source.AsSpan(start, count).CopyTo(destination.AsSpan(start, count)));
    }
}
