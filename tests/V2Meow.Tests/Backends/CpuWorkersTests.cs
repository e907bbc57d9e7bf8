using V2Meow.Runtime.Backends.Cpu;

namespace V2Meow.Tests.Backends;

/// <summary>The CPU backend's worker team: every item exactly once, errors as thrown, and loops that overlap.</summary>
public class CpuWorkersTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void EveryItemRunsOnceAcrossManyLoops(int threads)
    {
        using var workers = new CpuWorkers(threads);
        foreach (int count in new[] { 0, 1, 2, 7, 64, 1000 })
            for (int repeat = 0; repeat < 50; repeat++)
            {
                var hits = new int[count];
                workers.For(count, i => Interlocked.Increment(ref hits[i]));
                Assert.All(hits, h => Assert.Equal(1, h));
            }
    }

    [Fact]
    public void EachThreadStartsAtTheHeadOfItsOwnRange()
    {
        // Item 0 holds the calling thread until the worker has taken an item, so the worker's first pick is
        // made while the caller's range is still untouched: with contiguous ranges it is the head of range 1.
        using var workers = new CpuWorkers(2);
        int caller = Environment.CurrentManagedThreadId;
        var firstByThread = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        using var workerStarted = new ManualResetEventSlim();
        workers.For(64, i =>
        {
            int thread = Environment.CurrentManagedThreadId;
            firstByThread.TryAdd(thread, i);
            if (thread != caller) workerStarted.Set();
            if (i == 0) workerStarted.Wait(TimeSpan.FromSeconds(10));
        });
        Assert.Equal(0, firstByThread[caller]);
        Assert.True(workerStarted.IsSet, "the worker took no item in 10 s");
        Assert.Equal(32, Assert.Single(firstByThread, p => p.Key != caller).Value);
    }

    [Fact]
    public void AnErrorInAnItemIsRethrownAsItself()
    {
        using var workers = new CpuWorkers(2);
        var e = Assert.Throws<ArgumentException>(() => workers.For(16, i =>
        {
            if (i == 11) throw new ArgumentException("item 11");
        }));
        Assert.Equal("item 11", e.Message);
        int done = 0;
        workers.For(16, _ => Interlocked.Increment(ref done)); // still usable after an error
        Assert.Equal(16, done);
    }

    [Fact]
    public void NestedAndConcurrentLoopsComplete()
    {
        using var workers = new CpuWorkers(2);
        int total = 0;
        workers.For(4, _ => workers.For(8, _ => Interlocked.Increment(ref total)));
        Assert.Equal(32, total);
        total = 0;
        Parallel.For(0, 4, _ => workers.For(100, _ => Interlocked.Increment(ref total)));
        Assert.Equal(400, total);
    }

    [Fact]
    public void LoopsAfterAnIdlePauseWakeTheWorkers()
    {
        using var workers = new CpuWorkers(2);
        for (int repeat = 0; repeat < 3; repeat++)
        {
            Thread.Sleep(5); // past the spin: the worker is asleep on its semaphore
            int done = 0;
            workers.For(200, _ =>
            {
                Thread.SpinWait(2000);
                Interlocked.Increment(ref done);
            });
            Assert.Equal(200, done);
        }
    }
}
