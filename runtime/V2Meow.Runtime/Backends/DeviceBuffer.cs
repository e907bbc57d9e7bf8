namespace V2Meow.Runtime.Backends;

/// <summary>
/// Memory a backend holds for one tensor — f32 activations, int ids, stored weights — with its shape. It
/// has one owner, who disposes it; the backend that made it is the only one that may use it.
/// </summary>
public abstract class DeviceBuffer : IDisposable
{
    /// <summary>Dimensions, outermost first; a copy of the shape given at allocation.</summary>
    public int[] Shape { get; }
    /// <summary>Elements: the product of <see cref="Shape"/>.</summary>
    public int Length { get; }
    /// <summary>The backend that allocated the buffer and alone may use it.</summary>
    public IComputeBackend Backend { get; }
    /// <summary>Whether <see cref="Dispose"/> has run; ops on a disposed buffer throw.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    int _disposed;

    /// <summary>Records the owner and a copy of the shape; a negative dimension or more than int.MaxValue elements throws.</summary>
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

    /// <summary>The shape as "[a, b, …]", for messages.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";

    /// <summary>Frees the backend memory once; later calls do nothing. Only after the stream using it has synchronised.</summary>
    public void Dispose()
    {
        // Once, even from two threads at a time: a backend may hand the memory straight to the next buffer.
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the backend memory; called once, by <see cref="Dispose"/>.</summary>
    protected abstract void Release();
}
