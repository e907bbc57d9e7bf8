using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Transformer;

/// <summary>Turns a stack's rel_bias.weight [buckets, heads] into the per-distance table attention reads (SPEC §6.5).</summary>
internal static class PositionBiasLoader
{
    public static PositionBias Load(WeightReader reader, string stack, TransformerConfig config, bool bidirectional)
    {
        float[] relBias = reader.Host($"{stack}.rel_bias.weight");
        float[] table = RelativePositionBuckets.BiasTable(relBias, config.NHeads, bidirectional, config.RelBuckets, config.RelMaxDistance);
        int width = 2 * config.RelMaxDistance + 1;
        return reader.Own(new PositionBias(reader.Backend.Upload(table, config.NHeads, width), config.RelMaxDistance));
    }
}
