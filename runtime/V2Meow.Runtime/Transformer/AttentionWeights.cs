using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Transformer;

/// <summary>The four projections of one attention block (SPEC §5): q, k, v [inner, d] and o [d, inner].</summary>
internal sealed record AttentionWeights(WeightTensor Q, WeightTensor K, WeightTensor V, WeightTensor O)
{
    public static AttentionWeights Load(WeightReader reader, string prefix) => new(
        reader.Matrix($"{prefix}.q.weight"), reader.Matrix($"{prefix}.k.weight"),
        reader.Matrix($"{prefix}.v.weight"), reader.Matrix($"{prefix}.o.weight"));
}
