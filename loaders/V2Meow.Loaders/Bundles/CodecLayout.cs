namespace V2Meow.Loaders.Bundles;

/// <summary>
/// Every tensor of a codec file, name → shape (SPEC §5.2, VMAS.md §9), for either codec kind and either
/// family: the family says how many RVQ levels of how many codes its tokens index.
/// </summary>
public static class CodecLayout
{
    /// <summary>The codec file's tensors for <paramref name="levels"/> RVQ levels of <paramref name="codebookSize"/> codes.</summary>
    public static Dictionary<string, long[]> Expected(CodecConfig c, int levels, int codebookSize)
    {
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal)
        {
            ["rvq.codebooks"] = [levels, codebookSize, c.CodebookDim],
        };
        if (c.OutProj)
        {
            result["rvq.out_proj.weight"] = [c.LatentDim, c.CodebookDim];
            result["rvq.out_proj.bias"] = [c.LatentDim];
        }
        result["decoder.in_conv.weight"] = [c.Channels[0], c.LatentDim, c.KernelSize];
        result["decoder.in_conv.bias"] = [c.Channels[0]];
        for (int l = 0; l < c.LstmLayers; l++)
        {
            // PyTorch's LSTM parameters: gates i, f, g, o stacked in the rows.
            int width = c.Channels[0];
            result[$"decoder.lstm.{l}.weight_ih"] = [4 * width, width];
            result[$"decoder.lstm.{l}.weight_hh"] = [4 * width, width];
            result[$"decoder.lstm.{l}.bias_ih"] = [4 * width];
            result[$"decoder.lstm.{l}.bias_hh"] = [4 * width];
        }
        // Snake has an alpha per channel at every activation site; ELU has no tensors.
        for (int b = 0; b < c.Strides.Count; b++)
        {
            int cin = c.Channels[b], cout = c.Channels[b + 1], hidden = cout / c.Compress;
            if (c.IsSnake) result[$"decoder.blocks.{b}.act.alpha"] = [cin];
            result[$"decoder.blocks.{b}.up.weight"] = [cin, cout, 2 * c.Strides[b]];
            result[$"decoder.blocks.{b}.up.bias"] = [cout];
            for (int r = 0; r < c.ResidualDilations.Count; r++)
            {
                string p = $"decoder.blocks.{b}.res.{r}";
                if (c.IsSnake) result[$"{p}.act1.alpha"] = [cout];
                result[$"{p}.conv1.weight"] = [hidden, cout, c.ResidualKernelSize];
                result[$"{p}.conv1.bias"] = [hidden];
                if (c.IsSnake) result[$"{p}.act2.alpha"] = [hidden];
                result[$"{p}.conv2.weight"] = [cout, hidden, 1];
                result[$"{p}.conv2.bias"] = [cout];
            }
        }
        if (c.IsSnake) result["decoder.out_act.alpha"] = [c.Channels[^1]];
        result["decoder.out_conv.weight"] = [1, c.Channels[^1], c.KernelSize];
        result["decoder.out_conv.bias"] = [1];
        return result;
    }
}
