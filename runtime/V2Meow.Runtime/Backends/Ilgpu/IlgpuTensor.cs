using ILGPU;
using ILGPU.Runtime;

namespace V2Meow.Runtime.Backends.Ilgpu;

/// <summary>A tensor in an ILGPU accelerator's memory.</summary>
internal sealed class IlgpuTensor : DeviceTensor
{
    public MemoryBuffer1D<float, Stride1D.Dense> Buffer { get; }
    public ArrayView<float> View => Buffer.View;

    public IlgpuTensor(IlgpuBackend backend, Accelerator accelerator, int[] shape) : base(backend, shape)
    {
        try { Buffer = accelerator.Allocate1D<float>(Math.Max(1, Length)); }
        catch (Exception e) when (e is AcceleratorException or OutOfMemoryException)
        {
            throw new DeviceException(
                $"{accelerator.Name}: out of device memory allocating {ShapeText} ({Length * 4L} bytes; {accelerator.MemorySize} bytes in all)", e);
        }
    }

    protected override void Release() => Buffer.Dispose();
}
