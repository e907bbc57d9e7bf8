using V2Meow.Numerics;

namespace V2Meow.Runtime.Backends.Cpu;

/// <summary>Weights of the CPU backend, widened to f32 at load, row-major.</summary>
internal sealed class CpuWeightTensor : WeightTensor
{
    public float[] Data { get; private set; }

    public CpuWeightTensor(IComputeBackend backend, int[] shape, float[] data) : base(backend, shape, WeightFormat.Float32)
    {
        if (data.Length != Length) throw new ArgumentException($"weights: {data.Length} values for shape {ShapeText}");
        Data = data;
    }

    protected override void Release() => Data = [];
}
