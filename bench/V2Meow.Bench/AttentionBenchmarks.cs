using BenchmarkDotNet.Attributes;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Bench;

/// <summary>
/// Attention through the paged KV cache (16 heads of 64, paper width, with the relative-position bias) over a
/// cached sequence of CacheLength positions. <see cref="PagedAttention"/> is a decode step: one query row at the
/// end, bandwidth-bound, its throughput column the cached key and value bytes read per second. <see cref="PagedPrefill"/>
/// is a prefill's attention: every position's query row over the keys up to it (causal), its column GFLOP/s of the
/// q·k and weighted-value products. The stage-1 window is 251, stage 3's 1801, stage 2's 2251.
/// </summary>
public class AttentionBenchmarks : IDescribedWork
{
    const int Heads = 16, HeadDim = 64, MaxDistance = 128;

    IComputeBackend _backend = null!;
    PagedKvCache _cache = null!;
    PositionBias _bias = null!;
    DeviceTensor _q = null!, _output = null!, _prefillQ = null!, _prefillOutput = null!;
    DeviceIntTensor _rowSlot = null!, _rowPosition = null!, _prefillSlots = null!, _prefillPositions = null!;
    PagedRows _rows, _prefillRows;

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
        _prefillQ = _backend.Upload(RandomValues.Uniform(length * inner, 7), length, inner);
        _prefillOutput = _backend.Allocate(length, inner);
        _prefillSlots = _backend.UploadInts(Enumerable.Repeat(slot, length).ToArray(), length);
        _prefillPositions = _backend.UploadInts(Enumerable.Range(0, length).ToArray(), length);
        _prefillRows = _cache.Rows(_prefillSlots, _prefillPositions, 0);
    }

    [Benchmark]
    public void PagedAttention()
    {
        _backend.PagedAttention(_q, _cache.Keys(0), _cache.Values(0), _output, _rows, HeadShape, _bias);
        _backend.Synchronize();
    }

    [Benchmark]
    public void PagedPrefill()
    {
        _backend.PagedAttention(_prefillQ, _cache.Keys(0), _cache.Values(0), _prefillOutput, _prefillRows, HeadShape, _bias);
        _backend.Synchronize();
    }

    public Work Describe(string method) => method == nameof(PagedPrefill)
        // Query i meets i + 1 keys: (L² + L) / 2 pairs, each a q·k and a weighted value row of HeadDim multiply-adds per head.
        ? new(2.0 * 2.0 * HeadDim * Heads * (CacheLength * (CacheLength + 1.0) / 2), Work.Unit.Flops)
        : new(2.0 * CacheLength * Heads * HeadDim * sizeof(float), Work.Unit.Bytes);

    [GlobalCleanup]
    public void Cleanup()
    {
        _q.Dispose(); _output.Dispose(); _rowSlot.Dispose(); _rowPosition.Dispose();
        _prefillQ.Dispose(); _prefillOutput.Dispose(); _prefillSlots.Dispose(); _prefillPositions.Dispose();
        _bias.Dispose(); _cache.Dispose();
        _backend.Dispose();
    }
}
