namespace V2Meow.Runtime.Backends;

/// <summary>
/// Memory a backend holds for one tensor — f32 activations, int ids, stored weights — with its shape. It
/// has one owner, who disposes it; the backend that made it is the only one that may use it.
/// </summary>
public abstract class DeviceBuffer : IDisposable
{
    public int[] Shape { get; }
    public int Length { get; }
    public IComputeBackend Backend { get; }
    public bool IsDisposed { get; private set; }

    protected DeviceBuffer(IComputeBackend backend, int[] shape)
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
