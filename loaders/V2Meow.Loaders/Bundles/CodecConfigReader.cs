namespace V2Meow.Loaders.Bundles;

/// <summary>
/// The <c>codec</c> section of config.json (SPEC §3.10, VMAS.md §9), read the same way by every family's
/// config reader, since either family may name either codec kind.
/// </summary>
internal static class CodecConfigReader
{
    /// <summary>Largest hop, samples per codec frame (SPEC §3.10).</summary>
    public const long MaxHop = 1 << 20;

    /// <summary>The codec kinds this build's readers know; the runtime's CodecDecoders runs each.</summary>
    static readonly string[] Kinds = ["soundstream", "encodec"];

    static readonly string[] SharedFields =
        ["kind", "codebook_dim", "latent_dim", "out_proj", "channels", "strides", "kernel_size", "residual_dilations", "padding", "activation"];

    /// <summary>
    /// Validates the section; errors name the field as <c>codec.strides</c>. <paramref name="familyFields"/> are
    /// fields a family adds to the section and reads itself (vmas/1's levels and codebook_size).
    /// </summary>
    public static CodecConfig Read(ConfigSection c, params string[] familyFields)
    {
        string kind = c.Choice("kind", Kinds, "soundstream");
        bool encodec = kind == "encodec";
        // The LSTM and the narrower residual units belong to the encodec kind; a soundstream section naming
        // them was written for another decoder than the one that would run it.
        if (encodec) c.AllowOnly([.. SharedFields, .. familyFields, "lstm_layers", "residual_kernel_size", "compress"]);
        else c.AllowOnly([.. SharedFields, .. familyFields]);

        int dim = c.Int("codebook_dim", 1, maximum: 1 << 16);
        int latent = c.Int("latent_dim", 1, dim, 1 << 16);
        bool? explicitProj = c.OptionalBool("out_proj");
        if (latent != dim && explicitProj == false)
            throw c.Error("codec.out_proj", $"false, but latent_dim {latent} != codebook_dim {dim} needs the projection");
        int[] strides = c.IntList("strides", 1, nonEmpty: true, maximum: 4096, maxCount: 32);
        // The hop is the product of the strides; [64, 67108869] wraps an int to a plausible 320.
        long hop = 1;
        foreach (int stride in strides)
        {
            hop *= stride;
            if (hop > MaxHop) throw c.Error("codec.strides", $"the product of the strides (the hop) exceeds {MaxHop} samples per frame");
        }
        int[] channels = c.IntList("channels", 1, maximum: 1 << 16, maxCount: 33);
        if (channels.Length != strides.Length + 1)
            throw c.Error("codec.channels", $"expected {strides.Length + 1} integers >= 1 (one more than strides), found {channels.Length}");
        int kernel = c.Int("kernel_size", 1, 7, 4096);
        var config = new CodecConfig(dim, latent, latent != dim || explicitProj == true, channels, strides,
            kernel, c.IntList("residual_dilations", 1, [1, 3, 9], maximum: 1 << 16),
            c.Choice("padding", ["causal", "centred"], "causal"), c.Choice("activation", ["elu", "snake"], "elu"))
        { Kind = kind };
        if (!encodec) return config;

        int compress = c.Int("compress", 1, 2, 1 << 16);
        for (int b = 1; b < channels.Length; b++)
            if (channels[b] % compress != 0)
                throw c.Error("codec.compress", $"{compress} must divide every block's channels; channels[{b}] = {channels[b]} does not");
        return config with
        {
            LstmLayers = c.Int("lstm_layers", 0, 2, 64),
            ResidualKernelSize = c.Int("residual_kernel_size", 1, 3, 4096),
            Compress = compress,
        };
    }
}
