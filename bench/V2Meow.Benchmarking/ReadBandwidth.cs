using System.Runtime.Intrinsics;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Backends.Cpu;

namespace V2Meow.Benchmarking;

/// <summary>
/// Read-only bandwidth of the CPU backend's memory: every thread sums its contiguous part of a 64 MiB array.
/// A decode step only reads its weights, so its ceiling is the memory's read bandwidth, which a copy (that
/// also writes) need not reach: on this project's 2-core machine a floor from two copies was passed by the
/// decode itself. The CPU floor takes the best of both kinds of measurement (<see cref="FloorBandwidthSamples"/>).
/// </summary>
public static class ReadBandwidth
{
    /// <summary>Bytes per second of the best of <paramref name="repeats"/> sweeps after a warm-up; null on a GPU backend (its floor stays the device copy).</summary>
    public static double? Measure(IComputeBackend backend, int bytes = CopyBandwidth.DefaultBytes, int repeats = 5)
    {
        if (backend is not CpuBackend) return null;
        var data = new float[bytes / sizeof(float)];
        data.AsSpan().Fill(1f);
        int parts = Math.Max(1, backend.Device.ProcessorCount);
        var sums = new float[parts]; // kept, so the sums are not optimised away
        double best = ParallelSweep.BestSeconds(data.Length, parts, repeats,
            (p, start, count) => sums[p] = Sum(data.AsSpan(start, count)));
        return (double)data.Length * sizeof(float) / best;
    }

    /// <summary>Four independent vector sums, so the adds never wait on each other and the loads set the pace.</summary>
    static float Sum(ReadOnlySpan<float> values)
    {
        var vectors = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector256<float>>(values);
        Vector256<float> a = default, b = default, c = default, d = default;
        int i = 0;
        for (; i + 4 <= vectors.Length; i += 4)
        {
            a += vectors[i];
            b += vectors[i + 1];
            c += vectors[i + 2];
            d += vectors[i + 3];
        }
        for (; i < vectors.Length; i++) a += vectors[i];
        return Vector256.Sum(a + b + c + d);
    }
}
