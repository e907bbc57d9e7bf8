namespace V2Meow.Loaders.Bundles.Vmas;

/// <summary>Every tensor a VMAs component file must hold, name → shape (VMAS.md §5); the C# twin of reference/vmas's layout.</summary>
public static class VmasLayout
{
    /// <summary>The tensors of "video_encoder", "music_decoder", "codec", or "contrastive" when the config has it.</summary>
    public static IReadOnlyDictionary<string, long[]> Expected(VmasConfig config, string component) => component switch
    {
        "video_encoder" => Encoder(config),
        "music_decoder" => Decoder(config),
        "codec" => CodecLayout.Expected(config.Codec, config.Decoder.Codebooks, config.Decoder.CodebookSize),
        VmasContrastiveConfig.Component when config.Contrastive is { } c => Contrastive(c.Dim, config.Decoder.Transformer.DModel, config.Codec.CodebookDim),
        _ => throw new ArgumentOutOfRangeException(nameof(component), component, "not a component of a vmas/1 bundle"),
    };

    /// <summary>The contrastive projections (VMAS.md §14.2): video side from the decoder's width, music side from the codebook's.</summary>
    static Dictionary<string, long[]> Contrastive(int dim, int modelWidth, int codebookDim) => new(StringComparer.Ordinal)
    {
        ["video.weight"] = [dim, modelWidth],
        ["video.bias"] = [dim],
        ["music.weight"] = [dim, codebookDim],
        ["music.bias"] = [dim],
    };

    static Dictionary<string, long[]> Encoder(VmasConfig config)
    {
        var e = config.Encoder;
        var grids = config.Grids;
        int c0 = e.EmbedDim;
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal)
        {
            ["patch_embed.weight"] = [c0, 3, e.PatchKernel[0], e.PatchKernel[1], e.PatchKernel[2]],
            ["patch_embed.bias"] = [c0],
            ["pos_embed.spatial"] = [grids.Heights[0] * grids.Widths[0], c0],
            ["pos_embed.temporal"] = [grids.Time, c0],
        };
        int block = 0;
        for (int s = 0; s < e.Stages.Count; s++)
            for (int j = 0; j < e.Stages[s].Depth; j++, block++)
            {
                bool transition = s > 0 && j == 0;
                int dimIn = transition ? e.Dim(s - 1) : e.Dim(s), dim = e.Dim(s), mlp = e.MlpWidth(dim);
                string p = $"blocks.{block}";
                result[$"{p}.norm1.weight"] = [dimIn];
                result[$"{p}.norm1.bias"] = [dimIn];
                if (transition)
                {
                    result[$"{p}.proj.weight"] = [dim, dimIn];
                    result[$"{p}.proj.bias"] = [dim];
                }
                result[$"{p}.attn.qkv.weight"] = [3 * dim, dimIn];
                result[$"{p}.attn.qkv.bias"] = [3 * dim];
                result[$"{p}.attn.proj.weight"] = [dim, dim];
                result[$"{p}.attn.proj.bias"] = [dim];
                result[$"{p}.norm2.weight"] = [dim];
                result[$"{p}.norm2.bias"] = [dim];
                result[$"{p}.mlp.fc1.weight"] = [mlp, dim];
                result[$"{p}.mlp.fc1.bias"] = [mlp];
                result[$"{p}.mlp.fc2.weight"] = [dim, mlp];
                result[$"{p}.mlp.fc2.bias"] = [dim];
            }
        int last = e.Dim(e.Stages.Count - 1);
        result["norm.weight"] = [last];
        result["norm.bias"] = [last];
        result["proj.weight"] = [config.Decoder.Transformer.DModel, last];
        result["proj.bias"] = [config.Decoder.Transformer.DModel];
        return result;
    }

    static Dictionary<string, long[]> Decoder(VmasConfig config)
    {
        var dec = config.Decoder;
        var t = dec.Transformer;
        int d = t.DModel, inner = t.Inner;
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
        for (int k = 0; k < dec.Codebooks; k++)
        {
            result[$"decoder.embed.{k}.weight"] = [dec.CodebookSize + 1, d];
            result[$"decoder.head.{k}.weight"] = [dec.CodebookSize, d];
        }
        for (int i = 0; i < t.DecoderLayers; i++)
        {
            string p = $"decoder.layers.{i}";
            foreach (string attention in new[] { "self_attn", "cross_attn" })
            {
                Norm(result, $"{p}.{attention}_norm", t);
                result[$"{p}.{attention}.q.weight"] = [inner, d];
                result[$"{p}.{attention}.k.weight"] = [inner, d];
                result[$"{p}.{attention}.v.weight"] = [inner, d];
                result[$"{p}.{attention}.o.weight"] = [d, inner];
            }
            Norm(result, $"{p}.ffn_norm", t);
            result[$"{p}.ffn.up.weight"] = [t.DFf, d];
            if (t.IsGeglu) result[$"{p}.ffn.gate.weight"] = [t.DFf, d];
            result[$"{p}.ffn.down.weight"] = [d, t.DFf];
        }
        Norm(result, "decoder.final_norm", t);
        return result;
    }

    static void Norm(Dictionary<string, long[]> result, string prefix, TransformerConfig t)
    {
        result[$"{prefix}.weight"] = [t.DModel];
        if (t.IsLayerNorm) result[$"{prefix}.bias"] = [t.DModel];
    }
}
