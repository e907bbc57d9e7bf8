using BenchmarkDotNet.Attributes;
using V2Meow.Runtime.Backends;

namespace V2Meow.Bench;

/// <summary>
/// RVQ lookup: the latent [D, T] as the sum over Q = 12 levels of codebook rows (K 1024, D 128), for 10 s of
/// 50 Hz frames. A gather: the throughput column is codebook bytes read per second.
/// </summary>
public class RvqBenchmarks : IDescribedWork
{
    const int Levels = 12, CodebookSize = 1024, Dim = 128;

    IComputeBackend _backend = null!;
    DeviceTensor _codebooks = null!, _latent = null!;
    DeviceIntTensor _codes = null!;

    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";
    public static IEnumerable<string> Devices => BenchDevices.Present;

    [Params(500)]
    public int Frames { get; set; } = 500;

    [GlobalSetup]
    public void Setup()
    {
        _backend = BenchDevices.Open(Device);
        _codebooks = _backend.Upload(RandomValues.Uniform(Levels * CodebookSize * Dim, 13), Levels, CodebookSize, Dim);
        _latent = _backend.Allocate(Dim, Frames);
        var random = new Random(14);
        var codes = Enumerable.Range(0, Levels * Frames).Select(_ => random.Next(CodebookSize)).ToArray();
        _codes = _backend.UploadInts(codes, Levels, Frames);
    }

    [Benchmark]
    public void RvqLookup()
    {
        _backend.RvqLookup(_codebooks, _codes, Levels, _latent);
        _backend.Synchronize();
    }

    public Work Describe(string method) => new((double)Levels * Frames * Dim * sizeof(float), Work.Unit.Bytes);

    [GlobalCleanup]
    public void Cleanup()
    {
        _codebooks.Dispose(); _latent.Dispose(); _codes.Dispose();
        _backend.Dispose();
    }
}
