namespace V2Meow.Runtime.Backends;

/// <summary>
/// An f32 tensor in a backend's memory, row-major. It has one owner, who disposes it; the backend that
/// made it is the only one that may use it.
/// </summary>
public abstract class DeviceTensor : IDisposable
{
    public int[] Shape { get; }
    public int Length { get; }
    public IComputeBackend Backend { get; }
    public bool IsDisposed { get; private set; }

    protected DeviceTensor(IComputeBackend backend, int[] shape)
    {
        Backend = backend;
        Shape = (int[])shape.Clone();
        long length = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension in shape [{string.Join(", ", shape)}]");
            length = checked(length * d);
        }
        Length = checked((int)length);
    }

    public int Rows => Shape.Length == 0 ? 1 : Length / Math.Max(1, Shape[^1]);
    public int Columns => Shape.Length == 0 ? 1 : Shape[^1];
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
