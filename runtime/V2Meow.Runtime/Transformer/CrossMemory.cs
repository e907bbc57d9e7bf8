using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Transformer;

/// <summary>
/// The encoder output projected once into every decoder layer's cross-attention keys and values
/// [encoder positions, inner]: a decode step then reads them instead of recomputing. Owns its tensors.
/// </summary>
internal sealed class CrossMemory(DeviceTensor[] keys, DeviceTensor[] values) : IDisposable
{
    public DeviceTensor Keys(int layer) => keys[layer];
    public DeviceTensor Values(int layer) => values[layer];

    public void Dispose()
    {
        foreach (var t in keys) t.Dispose();
        foreach (var t in values) t.Dispose();
    }
}
