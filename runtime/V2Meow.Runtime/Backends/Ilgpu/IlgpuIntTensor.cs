using ILGPU;
using ILGPU.Runtime;

namespace V2Meow.Runtime.Backends.Ilgpu;

/// <summary>An int tensor in an ILGPU accelerator's memory.</summary>
internal sealed class IlgpuIntTensor : DeviceIntTensor
{
    public MemoryBuffer1D<int, Stride1D.Dense> Buffer { get; }
    /// <summary>The view trimmed to the tensor's length (buffers hold at least one element).</summary>
    public ArrayView<int> View => Buffer.View.SubView(0, Math.Max(1, Length));

    public IlgpuIntTensor(IlgpuBackend backend, Accelerator accelerator, int[] shape) : base(backend, shape)
    {
        try { Buffer = accelerator.Allocate1D<int>(Math.Max(1, Length)); }
        catch (Exception e) when (e is AcceleratorException or OutOfMemoryException)
        {
            throw new DeviceException($"{accelerator.Name}: out of device memory allocating int {ShapeText} ({Length * 4L} bytes)", e);
        }
    }

    protected override void Release() => Buffer.Dispose();
}
