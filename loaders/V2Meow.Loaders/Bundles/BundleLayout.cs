namespace V2Meow.Loaders.Bundles;

/// <summary>
/// Every tensor a component file must hold, name → shape, as a function of the config (SPEC §5); the C#
/// twin of weights-spec/reference/layout.py.
/// </summary>
public static class BundleLayout
{
    /// <summary>The tensors of <paramref name="component"/> ("stage1", "stage2", "stage3" or "codec"), name → shape (SPEC §5).</summary>
    public static IReadOnlyDictionary<string, long[]> Expected(BundleConfig config, string component) =>
        StageIds.TryParse(component, out var stage) ? Stage(config, stage)
        : component == "codec" ? Codec(config)
        : throw new ArgumentOutOfRangeException(nameof(component), component, "not a component of a v2meow/1 bundle");

    static Dictionary<string, long[]> Stage(BundleConfig config, StageId stage)
    {
        var t = config.Stage(stage);
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
        bool encoder = t.EncoderLayers > 0;
        if (encoder)
        {
            foreach (var s in t.Streams)
            {
                if (s.IsDense)
                {
                    result[$"encoder.streams.{s.Name}.proj.weight"] = [t.DModel, s.Dim];
                    result[$"encoder.streams.{s.Name}.proj.bias"] = [t.DModel];
                }
                else result[$"encoder.streams.{s.Name}.embed.weight"] = [s.Vocab, t.DModel];
            }
            if (t.StyleDim > 0)
            {
                result["encoder.style.proj.weight"] = [t.DModel, t.StyleDim];
                result["encoder.style.proj.bias"] = [t.DModel];
            }
            AddStack(result, "encoder", t.EncoderLayers, t, cross: false);
        }
        int vocab = config.VocabSize(stage);
        result["decoder.embed.weight"] = [vocab, t.DModel];
        AddStack(result, "decoder", t.DecoderLayers, t, cross: encoder);
        result["decoder.head.weight"] = [vocab, t.DModel];
        return result;
    }

    static void AddStack(Dictionary<string, long[]> result, string stack, int layers, TransformerConfig t, bool cross)
    {
        int d = t.DModel, inner = t.Inner;
        result[$"{stack}.rel_bias.weight"] = [t.RelBuckets, t.NHeads];
        for (int i = 0; i < layers; i++)
        {
            string p = $"{stack}.layers.{i}";
            AddNorm(result, $"{p}.self_attn_norm", t);
            AddAttention(result, $"{p}.self_attn", d, inner);
            if (cross)
            {
                AddNorm(result, $"{p}.cross_attn_norm", t);
                AddAttention(result, $"{p}.cross_attn", d, inner);
            }
            AddNorm(result, $"{p}.ffn_norm", t);
            result[$"{p}.ffn.up.weight"] = [t.DFf, d];
            if (t.IsGeglu) result[$"{p}.ffn.gate.weight"] = [t.DFf, d];
            result[$"{p}.ffn.down.weight"] = [d, t.DFf];
        }
        AddNorm(result, $"{stack}.final_norm", t);
    }

    static void AddNorm(Dictionary<string, long[]> result, string prefix, TransformerConfig t)
    {
        result[$"{prefix}.weight"] = [t.DModel];
        if (t.IsLayerNorm) result[$"{prefix}.bias"] = [t.DModel];
    }

    static void AddAttention(Dictionary<string, long[]> result, string prefix, int d, int inner)
    {
        result[$"{prefix}.q.weight"] = [inner, d];
        result[$"{prefix}.k.weight"] = [inner, d];
        result[$"{prefix}.v.weight"] = [inner, d];
        result[$"{prefix}.o.weight"] = [d, inner];
    }

    static Dictionary<string, long[]> Codec(BundleConfig config) =>
        CodecLayout.Expected(config.Codec, config.TotalLevels, config.Tokens.CodebookSize);
}
