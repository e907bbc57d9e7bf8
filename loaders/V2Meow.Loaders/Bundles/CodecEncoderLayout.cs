namespace V2Meow.Loaders.Bundles;

/// <summary>
/// Every tensor of the optional codec_encoder file, name → shape (SPEC §9.3), from the codec section alone: the
/// decoder's blocks in reverse, block b taking C_{B−b} channels to C_{B−b−1} at stride strides[B−1−b]; the C# twin
/// of weights-spec/reference/layout.py's codec_encoder_tensors.
/// </summary>
public static class CodecEncoderLayout
{
    /// <summary>The component's name, and its file's without ".safetensors": a bundle holds it when the file is there.</summary>
    public const string Component = "codec_encoder";

    /// <summary>The encoder file's tensors for a codec of either kind.</summary>
    public static Dictionary<string, long[]> Expected(CodecConfig c)
    {
        var channels = c.Channels.Reverse().ToArray();
        var strides = c.Strides.Reverse().ToArray();
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal)
        {
            ["encoder.in_conv.weight"] = [channels[0], 1, c.KernelSize],
            ["encoder.in_conv.bias"] = [channels[0]],
        };
        for (int b = 0; b < strides.Length; b++)
        {
            int cin = channels[b], cout = channels[b + 1], hidden = cin / c.Compress;
            for (int r = 0; r < c.ResidualDilations.Count; r++)
            {
                string p = $"encoder.blocks.{b}.res.{r}";
                if (c.IsSnake) result[$"{p}.act1.alpha"] = [cin];
                result[$"{p}.conv1.weight"] = [hidden, cin, c.ResidualKernelSize];
                result[$"{p}.conv1.bias"] = [hidden];
                if (c.IsSnake) result[$"{p}.act2.alpha"] = [hidden];
                result[$"{p}.conv2.weight"] = [cin, hidden, 1];
                result[$"{p}.conv2.bias"] = [cin];
            }
            if (c.IsSnake) result[$"encoder.blocks.{b}.act.alpha"] = [cin];
            result[$"encoder.blocks.{b}.down.weight"] = [cout, cin, 2 * strides[b]];
            result[$"encoder.blocks.{b}.down.bias"] = [cout];
        }
        int width = channels[^1];
        for (int l = 0; l < c.LstmLayers; l++)
        {
            // As the decoder's (VMAS.md §9): PyTorch's LSTM parameters, gates i, f, g, o stacked in the rows.
            result[$"encoder.lstm.{l}.weight_ih"] = [4 * width, width];
            result[$"encoder.lstm.{l}.weight_hh"] = [4 * width, width];
            result[$"encoder.lstm.{l}.bias_ih"] = [4 * width];
            result[$"encoder.lstm.{l}.bias_hh"] = [4 * width];
        }
        if (c.IsSnake) result["encoder.out_act.alpha"] = [width];
        result["encoder.out_conv.weight"] = [c.LatentDim, width, c.KernelSize];
        result["encoder.out_conv.bias"] = [c.LatentDim];
        if (c.OutProj)
        {
            result["rvq.in_proj.weight"] = [c.CodebookDim, c.LatentDim];
            result["rvq.in_proj.bias"] = [c.CodebookDim];
        }
        return result;
    }
}
