using BenchmarkDotNet.Attributes;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Bench;

/// <summary>
/// Decode attention through the paged KV cache: one query row (16 heads of 64, paper width) over a cached
/// sequence of CacheLength positions, with the relative-position bias. The stage-1 window is 251, stage 3's
/// 1801, stage 2's 2251. Bandwidth-bound: the throughput column is cached key and value bytes read per second.
/// </summary>
public class AttentionBenchmarks : IDescribedWork
{
    const int Heads = 16, HeadDim = 64, MaxDistance = 128;

    IComputeBackend _backend = null!;
    PagedKvCache _cache = null!;
    PositionBias _bias = null!;
    DeviceTensor _q = null!, _output = null!;
    DeviceIntTensor _rowSlot = null!, _rowPosition = null!;
    PagedRows _rows;

    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";
    public static IEnumerable<string> Devices => BenchDevices.Present;

    [Params(128, 512, 2048)]
    public int CacheLength { get; set; } = 512;

    static AttentionHeads HeadShape => new(Heads, HeadDim, 1f / MathF.Sqrt(HeadDim));

    [GlobalSetup]
    public void Setup()
    {
        int inner = Heads * HeadDim, length = CacheLength;
        _backend = BenchDevices.Open(Device);
        _cache = new PagedKvCache(_backend, layers: 1, inner, PagedKvCache.BlocksFor(1, length), maxSequences: 1, maxLength: length);
        int slot = _cache.Create();
        _cache.Reserve(slot, length);
        _cache.SyncTables();
        // Fill every cached row (an uninitialised pool could hold denormals or NaN, which skew CPU timings).
        using (var k = _backend.Upload(RandomValues.Uniform(length * inner, 3), length, inner))
        using (var v = _backend.Upload(RandomValues.Uniform(length * inner, 4), length, inner))
        using (var slots = _backend.UploadInts(Enumerable.Repeat(slot, length).ToArray(), length))
        using (var positions = _backend.UploadInts(Enumerable.Range(0, length).ToArray(), length))
        {
            _backend.WriteKeyValues(k, v, _cache.Keys(0), _cache.Values(0), _cache.Rows(slots, positions, 0));
            _backend.Synchronize();
        }
        _bias = new PositionBias(_backend.Upload(RandomValues.Uniform(Heads * (2 * MaxDistance + 1), 5), Heads, 2 * MaxDistance + 1), MaxDistance);
        _q = _backend.Upload(RandomValues.Uniform(inner, 6), 1, inner);
        _output = _backend.Allocate(1, inner);
        _rowSlot = _backend.UploadInts([slot], 1);
        _rowPosition = _backend.UploadInts([length - 1], 1);
        _rows = _cache.Rows(_rowSlot, _rowPosition, 0);
    }

    [Benchmark]
    public void PagedAttention()
    {
        _backend.PagedAttention(_q, _cache.Keys(0), _cache.Values(0), _output, _rows, HeadShape, _bias);
        _backend.Synchronize();
    }

    public Work Describe(string method) => new(2.0 * CacheLength * Heads * HeadDim * sizeof(float), Work.Unit.Bytes);

    [GlobalCleanup]
    public void Cleanup()
    {
        _q.Dispose(); _output.Dispose(); _rowSlot.Dispose(); _rowPosition.Dispose();
        _bias.Dispose(); _cache.Dispose();
        _backend.Dispose();
    }
}
