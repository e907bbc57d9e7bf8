using V2Meow.Numerics;

namespace V2Meow.Runtime.Backends.Cpu;

/// <summary>
/// Weights of the CPU backend, row-major: f32 as <see cref="Single"/>, or f16/bf16 kept 16-bit as
/// <see cref="Packed"/> (copied once out of the memory-mapped file) and widened in registers by
/// <see cref="CpuGemm"/>, so a decode step reads half the bytes.
/// </summary>
internal sealed class CpuWeightTensor : WeightTensor
{
    /// <summary>The elements when <see cref="WeightTensor.Format"/> is f32; empty otherwise.</summary>
    public float[] Single { get; private set; }
    /// <summary>The stored 16-bit patterns when the format is f16 or bf16; empty otherwise.</summary>
    public ushort[] Packed { get; private set; }

    public CpuWeightTensor(IComputeBackend backend, int[] shape, float[] data) : base(backend, shape, WeightFormat.Float32)
    {
        if (data.Length != Length) throw new ArgumentException($"weights: {data.Length} values for shape {ShapeText}");
        Single = data;
        Packed = [];
    }

    public CpuWeightTensor(IComputeBackend backend, int[] shape, WeightFormat format, ushort[] packed) : base(backend, shape, format)
    {
        if (format == WeightFormat.Float32) throw new ArgumentException("weights: 16-bit storage needs the f16 or bf16 format", nameof(format));
        if (packed.Length != Length) throw new ArgumentException($"weights: {packed.Length} values for shape {ShapeText}");
        Single = [];
        Packed = packed;
    }

    /// <summary>Row <paramref name="row"/> widened to f32 into <paramref name="destination"/> (an embedding lookup).</summary>
    public void CopyRow(int row, Span<float> destination)
    {
        int columns = Columns;
        if (Format == WeightFormat.Float32) Single.AsSpan(row * columns, columns).CopyTo(destination);
        else CpuGemm.Widen(Packed.AsSpan(row * columns, columns), Format, destination[..columns]);
    }

    protected override void Release()
    {
        Single = [];
        Packed = [];
    }
}
