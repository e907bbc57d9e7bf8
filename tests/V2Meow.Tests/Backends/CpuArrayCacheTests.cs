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

        var kept = cache.Take(Large);
        cache.Give(kept);
        cache.Give(new float[4 * Large]); // larger than the whole capacity: not kept, and the one kept stays
        Assert.Equal(4L * Large, cache.Bytes);
        Assert.Same(kept, cache.Take(Large));
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

    [Fact]
    public void AnOpThatAddsIntoItsOutputClearsAReusedArrayFirst()
    {
        // The RVQ lookup sums each level's codebook rows into its output: on an array full of NaN left by an
        // earlier tensor, it must clear before it adds.
        using var backend = new CpuBackend(2);
        int levels = 3, size = 16, dim = 64, frames = Large / dim + 5;
        var books = Enumerable.Range(0, levels * size * dim).Select(i => (float)((i * 37) % 101) / 50f - 1f).ToArray();
        var codes = Enumerable.Range(0, levels * frames).Select(i => (i * 7 + i / frames) % size).ToArray();
        using var codebooks = backend.Upload(books, levels, size, dim);
        using var ids = backend.UploadInts(codes, levels, frames);
        backend.Upload(Enumerable.Repeat(float.NaN, dim * frames).ToArray(), dim, frames).Dispose();

        using var latent = backend.Allocate(dim, frames); // the array full of NaN
        Assert.Equal(0, backend.CachedBytes);
        backend.RvqLookup(codebooks, ids, levels, latent);
        var result = new float[dim * frames];
        backend.Download(latent, result);
        for (int c = 0; c < dim; c++)
            for (int t = 0; t < frames; t++)
            {
                float expected = 0f;
                for (int q = 0; q < levels; q++) expected += books[(q * size + codes[q * frames + t]) * dim + c];
                Assert.Equal(expected, result[c * frames + t]);
            }
    }
}
