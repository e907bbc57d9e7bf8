using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Transformer;

/// <summary>
/// Uploads tensors of one component file (SPEC §5). Matrices and embedding tables keep the bundle's dtype
/// where the backend supports it; vectors (norms, biases) become f32. The bundle loader has already checked
/// every name, shape and dtype against the config.
/// </summary>
internal sealed class WeightReader(IComputeBackend backend, SafetensorsFile file, OwnedResources owner)
{
    public IComputeBackend Backend => backend;

    public WeightTensor Matrix(string name) => owner.Add(backend.UploadWeights(file.Get(name)));

    public DeviceTensor Vector(string name)
    {
        var view = file.Get(name);
        return owner.Add(backend.Upload(view.ToFloat32(), checked((int)view.ElementCount)));
    }

    /// <summary>A table computed at load rather than read from the file (stage 1's time embedding), f32, owned with the weights.</summary>
    public WeightTensor Table(float[] values, int rows, int columns) => owner.Add(backend.UploadWeights(values, rows, columns));

    /// <summary>A tensor read on the host, widened to f32 (the relative-position bias before it becomes a table).</summary>
    public float[] Host(string name) => file.Get(name).ToFloat32();

    public T Own<T>(T item) where T : IDisposable => owner.Add(item);
}
