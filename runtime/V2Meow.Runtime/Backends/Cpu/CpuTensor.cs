namespace V2Meow.Runtime.Backends.Cpu;

/// <summary>A tensor of the CPU backend: a managed array, row-major.</summary>
internal sealed class CpuTensor : DeviceTensor
{
    public float[] Data { get; private set; }

    public CpuTensor(IComputeBackend backend, int[] shape) : base(backend, shape)
    {
        try { Data = GC.AllocateUninitializedArray<float>(Length); }
        catch (OutOfMemoryException e)
        {
            throw new DeviceException($"cpu: out of memory allocating {ShapeText} ({Length * 4L} bytes)", e);
        }
    }

    public Span<float> Span => Data;

    protected override void Release() => Data = [];
}
