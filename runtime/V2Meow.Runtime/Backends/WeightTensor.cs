using V2Meow.Numerics;

namespace V2Meow.Runtime.Backends;

/// <summary>
/// A weight matrix or embedding table [rows, columns] as a backend keeps it: both backends store f16 and
/// bf16 weights 16-bit (half the bytes per decode step) and widen them in registers. Read-only after upload.
/// </summary>
public abstract class WeightTensor : DeviceBuffer
{
    /// <summary>The first dimension: output features of a Linear weight, entries of a table.</summary>
    public int Rows => Shape[0];
    /// <summary>The last dimension: input features of a Linear weight, width of a table; 1 for a vector.</summary>
    public int Columns => Shape.Length > 1 ? Shape[^1] : 1;
    /// <summary>How the elements sit in device memory.</summary>
    public WeightFormat Format { get; }

    /// <summary>Records owner, shape and storage format.</summary>
    protected WeightTensor(IComputeBackend backend, int[] shape, WeightFormat format) : base(backend, shape)
    {
        if (shape.Length is < 1 or > 2)
            throw new ArgumentException($"weights must be [rows] or [rows, columns], found {ShapeText}");
        Format = format;
    }
}
