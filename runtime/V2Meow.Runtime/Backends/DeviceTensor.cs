namespace V2Meow.Runtime.Backends;

/// <summary>
/// An f32 tensor in a backend's memory, row-major. It has one owner, who disposes it; the backend that
/// made it is the only one that may use it.
/// </summary>
public abstract class DeviceTensor(IComputeBackend backend, int[] shape) : DeviceBuffer(backend, shape)
{
    /// <summary>Length / the last dimension: every dimension but the last flattened; 1 for a scalar.</summary>
    public int Rows => Shape.Length == 0 ? 1 : Length / Math.Max(1, Shape[^1]);
    /// <summary>The last dimension; 1 for a scalar.</summary>
    public int Columns => Shape.Length == 0 ? 1 : Shape[^1];
}
