using System.Text.Json;
using System.Text.Json.Nodes;

namespace V2Meow.Loaders.Bundles.Vmas;

/// <summary>
/// Reads and validates a VMAs config.json (VMAS.md §3), the C# twin of weights-spec/reference/vmas/config.py:
/// the same defaults and checks, errors naming the file and the field.
/// </summary>
public static class VmasConfigReader
{
    /// <summary>Longest window (VMAS.md §3.1): a window is one sequence in memory at once.</summary>
    const double MaxWindowSeconds = 3600;
    /// <summary>Most codec frames or video frames in one window.</summary>
    const double MaxWindowSteps = 1 << 20;

    /// <summary>Reads and validates the config.json at <paramref name="path"/>.</summary>
    public static VmasConfig Load(string path) => Parse(BundleConfigReader.ReadText(path), path);

    /// <summary>Validates config.json text; <paramref name="file"/> only names the source in error messages.</summary>
    public static VmasConfig Parse(string json, string file)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(json, BundleConfigReader.Strict); }
        catch (JsonException e) { throw new BundleException($"{file}: not valid JSON: {e.Message}", e); }
        using (document)
        {
            var root = new ConfigSection(file, "", document.RootElement);
            string format = root.String("format", "");
            if (format != VmasConfig.FormatName)
                throw root.Error("config.format", $"expected '{VmasConfig.FormatName}', found '{format}'");
            root.AllowOnly("format", "name", "dtype", "sample_rate", "window_seconds", "prompt_seconds", "temperature", "top_k",
                "guidance", "video", "encoder", "decoder", "codec", "contrastive");

            var codecSection = root.Section("codec");
            var codec = CodecConfigReader.Read(codecSection, "levels", "codebook_size");
            var decoder = Decoder(root.Section("decoder"));
            // One codebook per codec level (VMAS.md §3.4): the decoder's K and N are the codec's.
            int levels = codecSection.Int("levels", 1, maximum: 32), size = codecSection.Int("codebook_size", 1, maximum: 1 << 16);
            if (levels != decoder.Codebooks)
                throw root.Error("decoder.codebooks", $"{decoder.Codebooks}, but the codec has {levels} levels (codec.levels; one codebook per level)");
            if (size != decoder.CodebookSize)
                throw root.Error("decoder.codebook_size", $"{decoder.CodebookSize}, but the codec's codebooks hold {size} codes (codec.codebook_size)");
            var config = new VmasConfig(format, root.String("name", ""),
                root.Choice("dtype", ["float32", "float16", "bfloat16"], "float32"),
                root.Int("sample_rate", 1, maximum: 192_000),
                root.Number("window_seconds", 10, maximum: MaxWindowSeconds),
                root.Number("prompt_seconds", 2, positive: false, maximum: MaxWindowSeconds),
                root.Number("temperature", 1.0, positive: false, maximum: 100),
                root.Int("top_k", 0, 250, 1 << 20),
                root.Number("guidance", 3.0, positive: false, maximum: 100),
                Video(root.Section("video")), Encoder(root.Section("encoder")), decoder, codec)
            {
                Contrastive = root.Has(VmasContrastiveConfig.Component) ? Contrastive(root.Section(VmasContrastiveConfig.Component)) : null,
            };
            Check(root, config);
            return config;
        }
    }

    /// <summary>
    /// Checks a component file's <c>__metadata__</c> "config" (its section of config.json: encoder, decoder or
    /// codec) against config.json, both completed with the defaults, so key order and omitted defaults do not
    /// matter and a changed field does (SPEC §2.3).
    /// </summary>
    public static void CheckComponentSection(string configJson, string configPath, VmasConfig config, string component, string? sectionJson, string file)
    {
        string key = component switch
        {
            "video_encoder" => "encoder",
            "music_decoder" => "decoder",
            VmasContrastiveConfig.Component => VmasContrastiveConfig.Component,
            _ => "codec",
        };
        if (sectionJson is null)
            throw new BundleException($"{file}: __metadata__ 'config': missing; every bundle file carries its section of config.json (SPEC §2.3)");
        VmasConfig fromFile;
        try
        {
            var root = JsonNode.Parse(configJson, documentOptions: BundleConfigReader.Strict)!.AsObject();
            root[key] = JsonNode.Parse(sectionJson, documentOptions: BundleConfigReader.Strict);
            fromFile = Parse(root.ToJsonString(), configPath);
        }
        catch (Exception e) when (e is JsonException or BundleException or InvalidOperationException)
        {
            throw new BundleException($"{file}: __metadata__ 'config': not a valid '{key}' section ({e.Message.ReplaceLineEndings(" ")})", e);
        }
        var expected = SectionOf(config, key);
        var found = SectionOf(fromFile, key);
        foreach (var (field, value) in expected)
        {
            string theirs = found.TryGetPropertyValue(field, out var other) ? other?.ToJsonString() ?? "null" : "(none)";
            string ours = value?.ToJsonString() ?? "null";
            if (ours != theirs)
                throw new BundleException($"{file}: __metadata__ 'config': field '{key}.{field}': config.json ({configPath}) has {Cut(ours)}, " +
                    $"the file {Cut(theirs)}; the file was exported with another config (SPEC §2.3)");
        }
    }

    static JsonObject SectionOf(VmasConfig config, string key) => JsonSerializer.SerializeToNode(key switch
    {
        "encoder" => (object)config.Encoder,
        "decoder" => config.Decoder,
        VmasContrastiveConfig.Component => config.Contrastive,
        _ => config.Codec,
    }, SectionNames)!.AsObject();

    static readonly JsonSerializerOptions SectionNames = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    static string Cut(string text) => text.Length <= 80 ? text : text[..77] + "...";

    /// <summary>The optional contrastive projections (VMAS.md §14.1): only their width.</summary>
    static VmasContrastiveConfig Contrastive(ConfigSection c)
    {
        c.AllowOnly("dim");
        return new VmasContrastiveConfig(c.Int("dim", 1, maximum: 1 << 16));
    }

    static VmasVideoConfig Video(ConfigSection v)
    {
        v.AllowOnly("fps", "height", "width", "mean", "std");
        return new VmasVideoConfig(v.Number("fps", maximum: 240), v.Int("height", 1, maximum: 4096), v.Int("width", 1, maximum: 4096),
            v.NumberList("mean", 3, [0.45, 0.45, 0.45]), v.NumberList("std", 3, [0.225, 0.225, 0.225], exclusiveMinimum: 0));
    }

    static VmasEncoderConfig Encoder(ConfigSection e)
    {
        e.AllowOnly("embed_dim", "patch_kernel", "patch_stride", "patch_padding", "stages", "mlp_ratio", "norm_eps");
        int[] kernel = Triple(e, "patch_kernel", [3, 7, 7], 1);
        int[] stride = Triple(e, "patch_stride", [2, 4, 4], 1);
        int[] padding = Triple(e, "patch_padding", [1, 3, 3], 0);
        for (int a = 0; a < 3; a++)
            if (padding[a] >= kernel[a])
                throw e.Error($"{e.Where}.patch_padding", $"each entry must be smaller than its kernel entry ({string.Join(", ", kernel)}), found [{string.Join(", ", padding)}]");
        int embed = e.Int("embed_dim", 1, maximum: 1 << 14);
        var stages = new List<VmasStageConfig>();
        foreach (var s in e.List("stages", maxCount: 8))
        {
            int index = stages.Count;
            s.AllowOnly("depth", "heads", "attention", "mask_unit", "pool");
            int depth = s.Int("depth", 1, maximum: BundleConfigReader.MaxLayers);
            int heads = s.Int("heads", 1, maximum: 1024);
            string attention = s.Choice("attention", ["mask_unit", "global"]);
            int[]? unit = attention == "mask_unit" ? Triple(s, "mask_unit", null, 1)
                : s.Has("mask_unit") ? throw s.Error($"{s.Where}.mask_unit", "only for \"mask_unit\" attention") : null;
            int[]? pool = null;
            if (index == 0 && s.Has("pool")) throw s.Error($"{s.Where}.pool", "the first stage has no query pooling");
            if (index > 0)
            {
                pool = Triple(s, "pool", null, 1);
                if (pool[0] != 1) throw s.Error($"{s.Where}.pool", $"the time axis is never pooled: expected [1, ph, pw], found [{string.Join(", ", pool)}]");
            }
            long dim = (long)embed << index;
            if (dim > 1 << 16) throw s.Error(s.Where, $"embed_dim × 2^{index} = {dim} channels exceeds {1 << 16}");
            if (dim % heads != 0) throw s.Error($"{s.Where}.heads", $"{heads} heads must divide the stage's {dim} channels");
            stages.Add(new VmasStageConfig(depth, heads, attention, unit, pool));
        }
        double ratio = e.Number("mlp_ratio", 4.0, maximum: 64);
        return new VmasEncoderConfig(embed, kernel, stride, padding, stages, ratio, e.Number("norm_eps", 1e-6, maximum: 1));
    }

    static VmasDecoderConfig Decoder(ConfigSection d)
    {
        d.AllowOnly([.. BundleConfigReader.TransformerFields.Where(f => f is not ("rel_buckets" or "rel_max_distance")),
            "layers", "codebooks", "codebook_size", "max_period"]);
        if (d.Has("rel_buckets")) throw d.Error($"{d.Where}.rel_buckets", "not allowed: the decoder's positions are sinusoidal");
        var t = BundleConfigReader.Transformer(d, "decoder_only", encoder: false, relative: false, layersKey: "layers");
        if (t.DModel % 2 != 0) throw d.Error($"{d.Where}.d_model", $"must be even (sinusoidal positions pair cos and sin), found {t.DModel}");
        return new VmasDecoderConfig(t, d.Int("codebooks", 1, maximum: 32), d.Int("codebook_size", 1, maximum: 1 << 16),
            d.Number("max_period", 10000, maximum: 1e9));
    }

    static int[] Triple(ConfigSection s, string key, int[]? fallback, int minimum)
    {
        int[] values = s.IntList(key, minimum, fallback, maximum: 4096, maxCount: 3);
        if (values.Length != 3) throw s.Error($"{s.Where}.{key}", $"expected 3 integers (time, height, width), found {values.Length}");
        return values;
    }

    static void Check(ConfigSection root, VmasConfig c)
    {
        if (c.SampleRate % c.Hop != 0)
            throw root.Error("codec.strides", $"hop {c.Hop} (product of strides) must divide sample_rate {c.SampleRate} into whole codec frames per second");
        if (c.PromptSeconds >= c.WindowSeconds)
            throw root.Error("prompt_seconds", $"must be less than window_seconds ({c.WindowSeconds}), found {c.PromptSeconds}");
        WholeSteps(root, "window_seconds", c.WindowSeconds, c.Video.Fps, "video.fps");
        WholeSteps(root, "window_seconds", c.WindowSeconds, c.FrameRate, "the codec frame rate");
        WholeSteps(root, "prompt_seconds", c.PromptSeconds, c.FrameRate, "the codec frame rate");

        var e = c.Encoder;
        int t = VmasGrids.Out(c.WindowFrames, e.PatchKernel[0], e.PatchStride[0], e.PatchPadding[0]);
        int h = VmasGrids.Out(c.Video.Height, e.PatchKernel[1], e.PatchStride[1], e.PatchPadding[1]);
        int w = VmasGrids.Out(c.Video.Width, e.PatchKernel[2], e.PatchStride[2], e.PatchPadding[2]);
        if (t < 1) throw root.Error("encoder.patch_kernel", $"{c.WindowFrames} frames per window (padded by {e.PatchPadding[0]} each side) are fewer than the kernel's {e.PatchKernel[0]}");
        if (h < 1 || w < 1)
            throw root.Error("video.height", $"a {c.Video.Height}×{c.Video.Width} frame (padded by {e.PatchPadding[1]}, {e.PatchPadding[2]}) is smaller than the patch kernel {e.PatchKernel[1]}×{e.PatchKernel[2]}");
        for (int s = 0; s < e.Stages.Count; s++)
        {
            var stage = e.Stages[s];
            string where = $"encoder.stages[{s}]";
            if (stage.Pool is { } pool)
            {
                if (h % pool[1] != 0 || w % pool[2] != 0)
                    throw root.Error($"{where}.pool", $"[{string.Join(", ", pool)}] does not divide the {t}×{h}×{w} grid it pools");
                h /= pool[1];
                w /= pool[2];
            }
            if (stage.MaskUnit is { } unit && (t % unit[0] != 0 || h % unit[1] != 0 || w % unit[2] != 0))
                throw root.Error($"{where}.mask_unit", $"[{string.Join(", ", unit)}] does not divide the stage's {t}×{h}×{w} grid");
        }
    }

    static void WholeSteps(ConfigSection root, string field, double seconds, double rate, string rateName)
    {
        double steps = seconds * rate;
        if (steps > MaxWindowSteps)
            throw root.Error(field, $"{seconds} s at {rateName} {rate} is {steps} steps; a window holds at most {MaxWindowSteps}");
        if (Math.Abs(steps - Math.Round(steps)) > 1e-9)
            throw root.Error(field, $"{seconds} s at {rateName} {rate} is not a whole number of steps");
    }
}
