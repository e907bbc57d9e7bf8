using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Transformer;

/// <summary>A pre-norm: LayerNorm (weight and bias) or RMSNorm (weight only), SPEC §6.2.</summary>
internal sealed class Norm(DeviceTensor weight, DeviceTensor? bias, float eps)
{
    public static Norm Load(WeightReader reader, string prefix, TransformerConfig config) =>
        new(reader.Vector($"{prefix}.weight"), config.IsLayerNorm ? reader.Vector($"{prefix}.bias") : null, (float)config.NormEps);

    public void Apply(IComputeBackend backend, DeviceTensor input, DeviceTensor output)
    {
        if (bias is null) backend.RmsNorm(input, weight, eps, output);
        else backend.LayerNorm(input, weight, bias, eps, output);
    }
}
