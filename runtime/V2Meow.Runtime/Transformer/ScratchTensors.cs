using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Transformer;

/// <summary>
/// Named intermediates reused across calls: a decode loop asks for the same shapes every step, so after the
/// first step nothing is allocated. A request with a new shape replaces the old tensor. Owns its tensors.
/// </summary>
internal sealed class ScratchTensors(IComputeBackend backend) : IDisposable
{
    readonly Dictionary<string, DeviceTensor> _tensors = new(StringComparer.Ordinal);

    public DeviceTensor Get(string name, int rows, int columns)
    {
        if (_tensors.TryGetValue(name, out var tensor))
        {
            if (tensor.Shape is [var r, var c] && r == rows && c == columns) return tensor;
            // The old buffer may still be read by queued launches.
            backend.Synchronize();
            tensor.Dispose();
        }
        tensor = backend.Allocate(rows, columns);
        _tensors[name] = tensor;
        return tensor;
    }

    public void Dispose()
    {
        foreach (var t in _tensors.Values) t.Dispose();
        _tensors.Clear();
    }
}
