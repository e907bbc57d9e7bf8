using V2Meow.Kernels;

namespace V2Meow.Runtime.Backends;

/// <summary>
/// A weight matrix or embedding table [rows, columns] as a backend keeps it: the ILGPU backend stores f16
/// and bf16 weights 16-bit (half the bytes per decode step) and widens them in registers; the CPU backend
/// widens to f32 once at load. Read-only after upload; one owner disposes it.
/// </summary>
public abstract class WeightTensor : IDisposable
{
    public int[] Shape { get; }
    public int Rows => Shape[0];
    public int Columns => Shape.Length > 1 ? Shape[^1] : 1;
    public int Length => Rows * Columns;
    /// <summary>How the elements sit in device memory.</summary>
    public WeightFormat Format { get; }
    public IComputeBackend Backend { get; }
    public bool IsDisposed { get; private set; }

    protected WeightTensor(IComputeBackend backend, int[] shape, WeightFormat format)
    {
        if (shape.Length is < 1 or > 2 || shape.Any(d => d < 0))
            throw new ArgumentException($"weights must be [rows] or [rows, columns], found [{string.Join(", ", shape)}]");
        Backend = backend;
        Shape = (int[])shape.Clone();
        Format = format;
    }

    public string ShapeText => "[" + string.Join(", ", Shape) + "]";

    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Release();
        GC.SuppressFinalize(this);
    }

    protected abstract void Release();
}
