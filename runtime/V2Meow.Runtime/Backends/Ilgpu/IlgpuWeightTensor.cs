using ILGPU;
using ILGPU.Runtime;
using V2Meow.Numerics;

namespace V2Meow.Runtime.Backends.Ilgpu;

/// <summary>Weights in an ILGPU accelerator's memory: f32, or the raw 16-bit patterns of f16/bf16.</summary>
internal sealed class IlgpuWeightTensor : WeightTensor
{
    readonly MemoryBuffer1D<float, Stride1D.Dense>? _single;
    readonly MemoryBuffer1D<ushort, Stride1D.Dense>? _packed;

    public ArrayView<float> Single => (_single ?? throw new InvalidOperationException("weights are 16-bit")).View;
    public ArrayView<ushort> Packed => (_packed ?? throw new InvalidOperationException("weights are f32")).View;

    IlgpuWeightTensor(IlgpuBackend backend, int[] shape, WeightFormat format,
        MemoryBuffer1D<float, Stride1D.Dense>? single, MemoryBuffer1D<ushort, Stride1D.Dense>? packed) : base(backend, shape, format)
    {
        _single = single;
        _packed = packed;
    }

    public static IlgpuWeightTensor FromSingle(IlgpuBackend backend, Accelerator accelerator, int[] shape, ReadOnlySpan<float> values) =>
        new(backend, shape, WeightFormat.Float32, Allocate<float>(accelerator, values, shape), null);

    public static IlgpuWeightTensor FromPacked(IlgpuBackend backend, Accelerator accelerator, int[] shape, WeightFormat format, ReadOnlySpan<ushort> bits) =>
        new(backend, shape, format, null, Allocate<ushort>(accelerator, bits, shape));

    static MemoryBuffer1D<T, Stride1D.Dense> Allocate<T>(Accelerator accelerator, ReadOnlySpan<T> values, int[] shape) where T : unmanaged
    {
        try
        {
            var buffer = accelerator.Allocate1D<T>(Math.Max(1, values.Length));
            if (values.Length > 0) buffer.View.SubView(0, values.Length).CopyFromCPU(accelerator.DefaultStream, values);
            return buffer;
        }
        catch (Exception e) when (e is AcceleratorException or OutOfMemoryException)
        {
            throw new DeviceException(
                $"{accelerator.Name}: out of device memory allocating weights [{string.Join(", ", shape)}] ({values.Length * (long)System.Runtime.CompilerServices.Unsafe.SizeOf<T>()} bytes)", e);
        }
    }

    protected override void Release()
    {
        _single?.Dispose();
        _packed?.Dispose();
    }
}
