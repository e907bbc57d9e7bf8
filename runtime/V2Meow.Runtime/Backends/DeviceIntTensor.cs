namespace V2Meow.Runtime.Backends;

/// <summary>
/// An int32 tensor in a backend's memory: token ids, block tables, sampled tokens. Like
/// <see cref="DeviceTensor"/> it has one owner who disposes it, and only the backend that made it may use it.
/// </summary>
public abstract class DeviceIntTensor : IDisposable
{
    public int[] Shape { get; }
    public int Length { get; }
    public IComputeBackend Backend { get; }
    public bool IsDisposed { get; private set; }

    protected DeviceIntTensor(IComputeBackend backend, int[] shape)
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
