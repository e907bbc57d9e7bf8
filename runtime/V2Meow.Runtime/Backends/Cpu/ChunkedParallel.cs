namespace V2Meow.Runtime.Backends.Cpu;

/// <summary>
/// The one chunked-parallel loop of the CPU backend's elementwise ops: [0, length) in chunks of
/// <see cref="Chunk"/> elements, one item each of the backend's own workers (<see cref="CpuWorkers"/>). Elementwise results do not depend on the split,
/// so any chunking gives the same bits; short spans run inline, where a task costs more than the work.
/// </summary>
internal static class ChunkedParallel
{
    /// <summary>32 KiB of f32: a chunk's input and output stay in L1/L2 while it runs.</summary>
    public const int Chunk = 8192;
    /// <summary>Below this many elements one thread is faster than scheduling several.</summary>
    public const int SerialBelow = 1 << 15;

    /// <summary>Calls <paramref name="body"/>(start, length) over [0, <paramref name="length"/>).</summary>
    public static void For(int length, CpuWorkers workers, Action<int, int> body)
    {
        if (length <= 0) return;
        if (length < SerialBelow)
        {
            body(0, length);
            return;
        }
        workers.For((length + Chunk - 1) / Chunk, c =>
        {
            int start = c * Chunk;
            body(start, Math.Min(Chunk, length - start));
        });
    }
}
