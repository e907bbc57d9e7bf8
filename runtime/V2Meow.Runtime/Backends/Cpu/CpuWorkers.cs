using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace V2Meow.Runtime.Backends.Cpu;

/// <summary>
/// The CPU backend's own worker threads for the ops a decode step runs dozens of times (matrix products,
/// attention): <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/> costs 6 µs at best and
/// 25–35 µs on average on a busy 2-core machine, against 15–40 µs for a whole 512-wide product of a decode
/// step, so about 60 such calls a step spent as much time starting loops as streaming weights.
/// </summary>
/// <remarks>
/// Each thread, the calling one included, takes the items of its own contiguous range one at a time, then what
/// is left of the others' (<see cref="Loop"/>): a worker the OS has not scheduled yet leaves its items to the
/// others instead of holding the loop up. Between loops a worker spins for <see cref="SpinMicroseconds"/> (a
/// decode step's serial parts between two loops are shorter) and then sleeps on a semaphore, so an idle
/// backend costs nothing. A loop started while another is running (another thread sharing the backend) or
/// from inside one runs on <see cref="Parallel"/> instead.
/// </remarks>
internal sealed class CpuWorkers : IDisposable
{
    /// <summary>How long an idle worker watches for the next loop before it sleeps.</summary>
    const int SpinMicroseconds = 200;

    /// <summary>
    /// One loop's items in one contiguous range per thread. A thread walks its own range in order, so it streams
    /// one run of memory (a product's weight rows) that the hardware prefetcher and the loops' own prefetches
    /// can follow, rather than every other item; when its range is done it takes what is left of the others',
    /// from the same counters, so a thread the OS has not scheduled holds nothing up.
    /// </summary>
    sealed class Loop
    {
        /// <summary>Ints between two threads' counters: a cache line each, so taking an item does not contend with the others.</summary>
        const int Stride = 16;

        public readonly int Count;
        public readonly Action<int> Body;
        readonly int _ranges;
        readonly int[] _next;
        /// <summary>Items each thread has finished, a cache line each, written by that thread alone.</summary>
        readonly int[] _done;
        public Exception? Error;

        public Loop(int count, Action<int> body, int threads)
        {
            Count = count;
            Body = body;
            _ranges = Math.Min(threads, count);
            _next = new int[_ranges * Stride];
            _done = new int[threads * Stride];
            for (int r = 0; r < _ranges; r++) _next[r * Stride] = Start(r);
        }

        /// <summary>Items finished by every thread so far.</summary>
        public int Done
        {
            get
            {
                int done = 0;
                for (int t = 0; t < _done.Length; t += Stride) done += Volatile.Read(ref _done[t]);
                return done;
            }
        }

        int Start(int range) => (int)((long)range * Count / _ranges);

        /// <summary>Takes items of the range of thread <paramref name="self"/>, then of the others', until none is left.</summary>
        /// <remarks>
        /// Each finished item is counted in the thread's own slot of <see cref="Done"/>, a plain write to a line no
        /// other thread writes: one shared count, incremented atomically by both threads, moved its cache line
        /// between the cores for every item, thousands of times a decode step. The count stays per item, so a
        /// thread preempted between items holds nothing it has finished.
        /// </remarks>
        public void Work(int self)
        {
            ref int slot = ref _done[self * Stride];
            int done = 0;
            for (int r = 0; r < _ranges; r++)
            {
                int range = (self + r) % _ranges, end = Start(range + 1);
                int item;
                while ((item = Interlocked.Increment(ref _next[range * Stride]) - 1) < end)
                {
                    try { Body(item); }
                    catch (Exception e) { Interlocked.CompareExchange(ref Error, e, null); }
                    Volatile.Write(ref slot, ++done);
                }
            }
        }
    }

    sealed class Worker(int index)
    {
        /// <summary>The worker's place in a loop's ranges: the calling thread is 0.</summary>
        public readonly int Index = index;
        public readonly SemaphoreSlim Wake = new(0);
        public int Sleeping;
    }

    readonly Worker[] _workers;
    readonly Thread[] _threads;
    readonly ParallelOptions _fallback;
    bool _started;
    Loop? _loop;
    long _generation;
    int _busy;
    volatile bool _disposed;

    /// <summary>A team of <paramref name="threads"/> − 1 workers beside the calling thread.</summary>
    public CpuWorkers(int threads)
    {
        _fallback = new ParallelOptions { MaxDegreeOfParallelism = threads };
        _workers = new Worker[Math.Max(0, threads - 1)];
        _threads = new Thread[_workers.Length];
        for (int i = 0; i < _workers.Length; i++)
        {
            var worker = _workers[i] = new Worker(i + 1);
            _threads[i] = new Thread(() => Run(worker)) { IsBackground = true, Name = $"v2meow cpu worker {i + 1}" };
        }
    }

    /// <summary>The threads a loop runs on, the caller's included.</summary>
    public int Threads => _workers.Length + 1;

    /// <summary>ParallelOptions for the loops that still use <see cref="Parallel"/>, with the same thread count.</summary>
    public ParallelOptions Options => _fallback;

    /// <summary>Calls <paramref name="body"/>(i) for i in [0, <paramref name="count"/>), on every thread of the team; returns when all are done.</summary>
    public void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        if (count == 1 || _workers.Length == 0)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            Parallel.For(0, count, _fallback, body);
            return;
        }
        try
        {
            if (!_started)
            {
                // On the first loop, so a backend only listed or never run starts no thread.
                foreach (var thread in _threads) thread.Start();
                _started = true;
            }
            var loop = new Loop(count, body, Threads);
            Volatile.Write(ref _loop, loop);
            Interlocked.Increment(ref _generation);
            foreach (var worker in _workers)
                if (Interlocked.Exchange(ref worker.Sleeping, 0) == 1) worker.Wake.Release();
            loop.Work(0);
            // Items a worker has taken but not finished: wait, yielding so a preempted worker can run.
            var spin = new SpinWait();
            while (loop.Done < count) spin.SpinOnce(sleep1Threshold: -1);
            Volatile.Write(ref _loop, null);
            if (loop.Error is { } error) ExceptionDispatchInfo.Capture(error).Throw();
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    void Run(Worker worker)
    {
        long seen = 0;
        while (!_disposed)
        {
            long generation = Volatile.Read(ref _generation);
            if (generation != seen)
            {
                seen = generation;
                Volatile.Read(ref _loop)?.Work(worker.Index);
                continue;
            }
            long spinStart = Stopwatch.GetTimestamp();
            while (Volatile.Read(ref _generation) == seen && !_disposed &&
                Stopwatch.GetElapsedTime(spinStart).TotalMicroseconds < SpinMicroseconds)
                Thread.SpinWait(20);
            if (Volatile.Read(ref _generation) != seen) continue;
            // Announce the sleep, then look once more: a loop started in between has either seen the flag
            // (and releases the semaphore) or is visible here.
            Interlocked.Exchange(ref worker.Sleeping, 1);
            if (Volatile.Read(ref _generation) != seen || _disposed)
            {
                Interlocked.Exchange(ref worker.Sleeping, 0);
                continue;
            }
            worker.Wake.Wait();
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var worker in _workers) worker.Wake.Release();
        if (_started)
            foreach (var thread in _threads) thread.Join();
        foreach (var worker in _workers) worker.Wake.Dispose();
    }
}
