using V2Meow.Runtime.Backends.Cpu;

namespace V2Meow.Tests.Backends;

public class CpuArrayCacheTests
{
    const int Large = CpuArrayCache.MinimumLength;

    [Fact]
    public void AGivenArrayIsTakenAgainForItsLengthOnly()
    {
        var cache = new CpuArrayCache(1L << 30);
        var first = cache.Take(Large + 8);
        cache.Give(first);
        Assert.Equal(4L * (Large + 8), cache.Bytes);

        var other = cache.Take(Large + 16);
        Assert.NotSame(first, other);
        Assert.Same(first, cache.Take(Large + 8));
        Assert.Equal(0, cache.Bytes);
        Assert.NotSame(first, cache.Take(Large + 8)); // taken once, it is gone from the cache
    }

    [Fact]
    public void SmallArraysAreNotKept()
    {
        var cache = new CpuArrayCache(1L << 30);
        var small = cache.Take(Large - 1);
        cache.Give(small);
        Assert.Equal(0, cache.Bytes);
        Assert.NotSame(small, cache.Take(Large - 1));
    }

    [Fact]
    public void PastItsCapacityTheOldestArraysGo()
    {
        long capacity = 4L * Large * 3;
        var cache = new CpuArrayCache(capacity);
        var arrays = Enumerable.Range(0, 5).Select(_ => cache.Take(Large)).ToArray();
        foreach (var a in arrays) cache.Give(a);
        Assert.Equal(capacity, cache.Bytes);
        // The last three given are kept, the most recent taken first.
        Assert.Same(arrays[4], cache.Take(Large));
        Assert.Same(arrays[3], cache.Take(Large));
        Assert.Same(arrays[2], cache.Take(Large));
        var fresh = cache.Take(Large);
        Assert.DoesNotContain(arrays, a => ReferenceEquals(a, fresh));

        cache.Give(new float[4 * Large]); // larger than the whole capacity: not kept
        Assert.Equal(0, cache.Bytes);
    }

    [Fact]
    public void ABackendTensorReusesAReleasedArrayAndItsOpsOverwriteWhatWasLeftInIt()
    {
        using var backend = new CpuBackend(2);
        int rows = 3, columns = Large / 2; // 1.5 × the smallest kept length
        var a = Enumerable.Range(0, rows * columns).Select(i => (float)(i % 251) - 125f).ToArray();
        var b = Enumerable.Range(0, rows * columns).Select(i => (float)(i % 127) * 0.5f).ToArray();

        using var x = backend.Upload(a, rows, columns);
        using var y = backend.Upload(b, rows, columns);
        backend.Upload(Enumerable.Repeat(float.NaN, rows * columns).ToArray(), rows, columns).Dispose();
        Assert.Equal(4L * rows * columns, backend.CachedBytes);

        using var sum = backend.Allocate(rows, columns); // the array full of NaN
        Assert.Equal(0, backend.CachedBytes);
        backend.Add(x, y, sum);
        var result = new float[rows * columns];
        backend.Download(sum, result);
        for (int i = 0; i < result.Length; i++) Assert.Equal(a[i] + b[i], result[i]);
    }
}
