namespace V2Meow.Runtime.Backends.Cpu;

/// <summary>A tensor of the CPU backend: a managed array, row-major, taken from and given back to its backend's <see cref="CpuArrayCache"/>.</summary>
internal sealed class CpuTensor : DeviceTensor
{
    readonly CpuArrayCache _cache;

    public float[] Data { get; private set; }

    public CpuTensor(IComputeBackend backend, CpuArrayCache cache, int[] shape) : base(backend, shape)
    {
        _cache = cache;
        try { Data = cache.Take(Length); }
        catch (OutOfMemoryException)
        {
            // The arrays the cache holds for other lengths may be what is missing: once more without them.
            cache.Clear();
            try { Data = GC.AllocateUninitializedArray<float>(Length); }
            catch (OutOfMemoryException e)
            {
                throw new DeviceException($"cpu: out of memory allocating {ShapeText} ({Length * 4L} bytes)", e);
            }
        }
    }

    public Span<float> Span => Data;

    protected override void Release()
    {
        _cache.Give(Data);
        Data = [];
    }
}
