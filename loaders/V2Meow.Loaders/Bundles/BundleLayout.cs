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

    static Dictionary<string, long[]> Codec(BundleConfig config)
    {
        var c = config.Codec;
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal)
        {
            ["rvq.codebooks"] = [config.TotalLevels, config.Tokens.CodebookSize, c.CodebookDim],
        };
        if (c.OutProj)
        {
            result["rvq.out_proj.weight"] = [c.LatentDim, c.CodebookDim];
            result["rvq.out_proj.bias"] = [c.LatentDim];
        }
        result["decoder.in_conv.weight"] = [c.Channels[0], c.LatentDim, c.KernelSize];
        result["decoder.in_conv.bias"] = [c.Channels[0]];
        // Snake has an alpha per channel at every activation site; ELU has no tensors.
        for (int b = 0; b < c.Strides.Count; b++)
        {
            int cin = c.Channels[b], cout = c.Channels[b + 1];
            if (c.IsSnake) result[$"decoder.blocks.{b}.act.alpha"] = [cin];
            result[$"decoder.blocks.{b}.up.weight"] = [cin, cout, 2 * c.Strides[b]];
            result[$"decoder.blocks.{b}.up.bias"] = [cout];
            for (int r = 0; r < c.ResidualDilations.Count; r++)
            {
                string p = $"decoder.blocks.{b}.res.{r}";
                if (c.IsSnake) result[$"{p}.act1.alpha"] = [cout];
                result[$"{p}.conv1.weight"] = [cout, cout, c.KernelSize];
                result[$"{p}.conv1.bias"] = [cout];
                if (c.IsSnake) result[$"{p}.act2.alpha"] = [cout];
                result[$"{p}.conv2.weight"] = [cout, cout, 1];
                result[$"{p}.conv2.bias"] = [cout];
            }
        }
        if (c.IsSnake) result["decoder.out_act.alpha"] = [c.Channels[^1]];
        result["decoder.out_conv.weight"] = [1, c.Channels[^1], c.KernelSize];
        result["decoder.out_conv.bias"] = [1];
        return result;
    }
}
