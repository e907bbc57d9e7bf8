using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using V2Meow.Loaders.Files;

namespace V2Meow.Loaders.Bundles;

/// <summary>
/// Reads and validates config.json (SPEC §3), the C# twin of weights-spec/reference/config.py: the same
/// defaults, the same checks, errors naming the field.
/// </summary>
public static class BundleConfigReader
{
    internal static readonly string[] TransformerFields =
        ["d_model", "n_heads", "head_dim", "d_ff", "activation", "norm", "norm_eps", "rel_buckets", "rel_max_distance", "attention_scale"];

    /// <summary>
    /// Largest config.json read: 1 MiB. A real one is a few kilobytes; without a bound a link to /dev/zero
    /// or a 2 GiB "name" string exhausts memory before any field is checked (SPEC §3).
    /// </summary>
    public const int MaxConfigBytes = 1 << 20;

    /// <summary>Reads and validates the config.json at <paramref name="path"/>; throws <see cref="BundleException"/> naming the field.</summary>
    public static BundleConfig Load(string path) => Parse(ReadText(path), path);

    /// <summary>
    /// The text of config.json: a regular file once links are followed (a FIFO would block forever, a
    /// device never ends), at most <see cref="MaxConfigBytes"/>, UTF-8.
    /// </summary>
    public static string ReadText(string path)
    {
        var (target, length) = InputFile.Require(path, problem => new BundleException($"{path}: {problem}"));
        if (length > MaxConfigBytes)
            throw new BundleException($"{path}: {length} bytes; a config.json is at most {MaxConfigBytes} bytes (SPEC §3)");
        try
        {
            using var stream = new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.Read);
            var bytes = new byte[MaxConfigBytes + 1];
            int read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            if (read > MaxConfigBytes)
                throw new BundleException($"{path}: more than {MaxConfigBytes} bytes; a config.json is at most {MaxConfigBytes} bytes (SPEC §3)");
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 0, read);
        }
        catch (DecoderFallbackException)
        {
            throw new BundleException($"{path}: not valid UTF-8 text");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BundleException($"{path}: cannot be read: {e.Message}", e);
        }
    }

    /// <summary>
    /// Checks a component file's <c>__metadata__</c> "config" against config.json (SPEC §2.3): the section is
    /// put in place of config.json's own and both are completed with the defaults, so key order, whitespace
    /// and omitted defaults do not matter; a changed activation, attention_scale, norm_eps or codec padding does.
    /// </summary>
    public static void CheckComponentSection(string configJson, string configPath, BundleConfig config, string component,
        string? sectionJson, string file)
    {
        if (sectionJson is null)
            throw new BundleException($"{file}: __metadata__ 'config': missing; every bundle file carries its section of config.json (SPEC §2.3)");
        BundleConfig fromFile;
        try
        {
            var root = JsonNode.Parse(configJson, documentOptions: Strict)!.AsObject();
            root[component] = JsonNode.Parse(sectionJson, documentOptions: Strict);
            fromFile = Parse(root.ToJsonString(), configPath);
        }
        catch (Exception e) when (e is JsonException or BundleException or InvalidOperationException)
        {
            string problem = e.Message.StartsWith(configPath + ": ", StringComparison.Ordinal) ? e.Message[(configPath.Length + 2)..] : e.Message;
            throw new BundleException($"{file}: __metadata__ 'config': not a valid '{component}' section ({OneLine(problem)})", e);
        }
        var expected = SectionOf(config, component);
        var found = SectionOf(fromFile, component);
        foreach (var (key, value) in expected)
        {
            string theirs = found.TryGetPropertyValue(key, out var other) ? other?.ToJsonString() ?? "null" : "(none)";
            string ours = value?.ToJsonString() ?? "null";
            if (ours != theirs)
                throw new BundleException($"{file}: __metadata__ 'config': field '{key}': config.json ({configPath}) has {Cut(ours)}, the file {Cut(theirs)}; " +
                    "the file was exported with another config (SPEC §2.3)");
        }
    }

    internal static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false, MaxDepth = 16 };

    /// <summary>A completed section as JSON with config.json's field names, so a difference is named as the user wrote it.</summary>
    static JsonObject SectionOf(BundleConfig config, string component) =>
        JsonSerializer.SerializeToNode(StageIds.TryParse(component, out var stage) ? config.Stage(stage) : (object)config.Codec, SectionNames)!.AsObject();

    static readonly JsonSerializerOptions SectionNames = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    static string Cut(string text) => text.Length <= 80 ? text : text[..77] + "...";

    static string OneLine(string text) => text.ReplaceLineEndings(" ");

    /// <summary>Validates config.json text; <paramref name="file"/> only names the source in error messages.</summary>
    public static BundleConfig Parse(string json, string file)
    {
        JsonDocument document;
        // Duplicate keys are refused: which of two "d_model"s wins is a guess no reader should make.
        try { document = JsonDocument.Parse(json, Strict); }
        catch (JsonException e) { throw new BundleException($"{file}: not valid JSON: {e.Message}", e); }
        using (document)
        {
            var root = new ConfigSection(file, "", document.RootElement);
            string format = root.String("format", "");
            if (format != BundleConfig.FormatName)
                throw root.Error("config.format", $"expected '{BundleConfig.FormatName}', found '{format}'");

            var rates = root.OptionalSection("rates");
            rates.AllowOnly("video_fps", "semantic_hz", "acoustic_hz", "sample_rate");
            var r = new RatesConfig(rates.Number("video_fps", 1, minimum: 0.01, maximum: 240),
                rates.Number("semantic_hz", 25, minimum: 0.01, maximum: 1000),
                rates.Number("acoustic_hz", 50, minimum: 0.01, maximum: 10_000), rates.Int("sample_rate", 1, 16000, 384_000));

            var tokens = root.OptionalSection("tokens");
            tokens.AllowOnly("semantic_codes", "codebook_size", "coarse_levels", "fine_levels");
            var t = new TokensConfig(tokens.Int("semantic_codes", 1, 1024, 1 << 20), tokens.Int("codebook_size", 1, 1024, 1 << 16),
                tokens.Int("coarse_levels", 1, 4, 64), tokens.Int("fine_levels", 1, 8, 64));

            var windows = root.OptionalSection("windows");
            windows.AllowOnly("stage1_seconds", "stage2_seconds", "stage3_seconds");
            var w = new WindowsConfig(windows.Number("stage1_seconds", 10, maximum: MaxWindowSeconds),
                windows.Number("stage2_seconds", 10, maximum: MaxWindowSeconds), windows.Number("stage3_seconds", 3, maximum: MaxWindowSeconds));

            var temps = root.OptionalSection("temperatures");
            temps.AllowOnly("stage1", "stage2", "stage3");
            var temperatures = new TemperaturesConfig(temps.Number("stage1", 1.0, positive: false, maximum: 100),
                temps.Number("stage2", 0.95, positive: false, maximum: 100), temps.Number("stage3", 0.4, positive: false, maximum: 100));

            var s1 = root.Section("stage1");
            s1.AllowOnly([.. TransformerFields, "encoder_layers", "decoder_layers", "streams", "style_dim", "time_embedding"]);
            var stage1 = Transformer(s1, "encoder_decoder", encoder: true);
            stage1 = stage1 with { TimeEmbedding = TimeEmbedding(s1, stage1.DModel) };

            var s2 = root.Section("stage2");
            string variant = s2.Choice("variant", ["decoder_only", "encoder_decoder"], "decoder_only");
            TransformerConfig stage2;
            if (variant == "decoder_only")
            {
                s2.AllowOnly([.. TransformerFields, "variant", "layout", "decoder_layers"]);
                stage2 = Transformer(s2, variant, encoder: false);
            }
            else
            {
                s2.AllowOnly([.. TransformerFields, "variant", "layout", "encoder_layers", "decoder_layers", "streams", "style_dim"]);
                stage2 = Transformer(s2, variant, encoder: true);
            }
            stage2 = stage2 with { Layout = s2.Choice("layout", ["prefix", "interleaved"], "prefix") };

            var s3 = root.Section("stage3");
            s3.AllowOnly([.. TransformerFields, "decoder_layers"]);
            var stage3 = Transformer(s3, "decoder_only", encoder: false);

            var codec = CodecConfigReader.Read(root.Section("codec"));
            var optional = root.Keys.Where(k => k is not ("format" or "name" or "dtype" or "rates" or "tokens"
                or "windows" or "temperatures" or "stage1" or "stage2" or "stage3" or "codec")).ToList();

            var config = new BundleConfig(format, root.String("name", ""),
                root.Choice("dtype", ["float32", "float16", "bfloat16"], "float32"),
                r, t, w, temperatures, stage1, stage2, stage3, codec, optional);
            CheckRates(root, config);
            return config;
        }
    }

    /// <summary>Longest stage window (SPEC §3.4): a window is one sequence in memory at once.</summary>
    const double MaxWindowSeconds = 3600;
    /// <summary>Most tokens in one window (SPEC §3.4): window seconds × rate.</summary>
    const double MaxWindowSteps = 1 << 20;
    /// <summary>Most layers in one stack (SPEC §3.6).</summary>
    internal const int MaxLayers = 1024;

    /// <summary>
    /// SPEC §3.6's transformer fields of a section. VMAs' decoder (VMAS.md §3.4) reads them too, without the
    /// relative-position fields (<paramref name="relative"/> false leaves them 0) and with its layer count under
    /// <paramref name="layersKey"/>.
    /// </summary>
    internal static TransformerConfig Transformer(ConfigSection s, string variant, bool encoder, bool relative = true,
        string layersKey = "decoder_layers")
    {
        int d = s.Int("d_model", 1, maximum: 1 << 16), h = s.Int("n_heads", 1, maximum: 1024);
        if (!s.Has("head_dim") && d % h != 0)
            throw s.Error($"{s.Where}.head_dim", $"required when d_model ({d}) is not a multiple of n_heads ({h})");
        int dh = s.Int("head_dim", 1, d / h, 4096);
        if ((long)h * dh > 1 << 16)
            throw s.Error($"{s.Where}.head_dim", $"n_heads × head_dim = {(long)h * dh} exceeds {1 << 16}");
        int buckets = 0, distance = 0;
        if (relative)
        {
            buckets = s.Int("rel_buckets", 4, 32, 1024);
            if (buckets % 2 != 0) throw s.Error($"{s.Where}.rel_buckets", $"expected an even number, found {buckets}");
            distance = s.Int("rel_max_distance", 1, 128, 1 << 16);
            if (distance <= buckets / 2)
                throw s.Error($"{s.Where}.rel_max_distance", $"expected > rel_buckets/2 = {buckets / 2}, found {distance}");
        }
        int ff = s.Int("d_ff", 1, maximum: 1 << 18);
        string activation = s.Choice("activation", ["gelu", "relu", "geglu"], "gelu");
        string norm = s.Choice("norm", ["layernorm", "rmsnorm"], "layernorm");
        double eps = s.Number("norm_eps", 1e-6, maximum: 1);
        double scale = s.Number("attention_scale", 1.0 / Math.Sqrt(dh), maximum: 1000);
        int encoderLayers = encoder ? s.Int("encoder_layers", 1, maximum: MaxLayers) : 0;
        int decoderLayers = s.Int(layersKey, 1, maximum: MaxLayers);
        List<StreamConfig> streams = encoder ? Streams(s) : [];
        int styleDim = encoder ? s.Int("style_dim", 0, 0, 1 << 16) : 0;
        return new TransformerConfig(d, h, dh, ff, activation, norm, eps, buckets, distance, scale,
            encoderLayers, decoderLayers, streams, styleDim, variant);
    }

    /// <summary>stage1.time_embedding: absent or null for none (SPEC §6.8).</summary>
    static TimeEmbeddingConfig? TimeEmbedding(ConfigSection stage, int dModel)
    {
        if (!stage.HasNonNull("time_embedding")) return null;
        var s = stage.Section("time_embedding");
        s.AllowOnly("min_period", "max_period");
        double low = s.Number("min_period", maximum: 1e6), high = s.Number("max_period", maximum: 1e6);
        if (high <= low) throw s.Error($"{s.Where}.max_period", $"expected > min_period ({low}), found {high}");
        if (dModel % 2 != 0) throw s.Error(s.Where, $"needs an even d_model (sine and cosine pairs), found {dModel}");
        return new TimeEmbeddingConfig(low, high);
    }

    static List<StreamConfig> Streams(ConfigSection s)
    {
        var result = new List<StreamConfig>();
        foreach (var stream in s.List("streams", maxCount: 64))
        {
            string name = stream.String("name", "");
            if (!ConfigSection.StreamName().IsMatch(name))
                throw stream.Error($"{stream.Where}.name", $"expected [A-Za-z][A-Za-z0-9_]*, found '{name}'");
            if (result.Any(x => x.Name == name))
                throw stream.Error($"{stream.Where}.name", $"duplicate stream name '{name}'");
            string kind = stream.Choice("kind", ["dense", "tokens"]);
            if (kind == "dense")
            {
                stream.AllowOnly("name", "kind", "dim");
                result.Add(new StreamConfig(name, kind, stream.Int("dim", 1, maximum: 1 << 20), 0, 0));
            }
            else
            {
                stream.AllowOnly("name", "kind", "vocab", "tokens_per_frame");
                result.Add(new StreamConfig(name, kind, 0, stream.Int("vocab", 1, maximum: 1 << 24), stream.Int("tokens_per_frame", 1, 1, 4096)));
            }
        }
        return result;
    }

    static void CheckRates(ConfigSection root, BundleConfig config)
    {
        var rates = config.Rates;
        if (Math.Abs(rates.AcousticHz * config.Hop - rates.SampleRate) > 1e-9)
            throw root.Error("codec.strides",
                $"hop {config.Hop} (product of strides) times rates.acoustic_hz {rates.AcousticHz} must equal rates.sample_rate {rates.SampleRate}");
        double ratio = rates.AcousticHz / rates.SemanticHz;
        if (config.Stage2.IsInterleaved && (ratio < 1 || Math.Abs(ratio - Math.Round(ratio)) > 1e-9))
            throw root.Error("stage2.layout",
                $"\"interleaved\" needs rates.acoustic_hz / rates.semantic_hz to be a whole number >= 1, found {rates.AcousticHz} / {rates.SemanticHz}");
        (string Stage, double Seconds, double[] Hz, string[] Names)[] windows =
        [
            ("stage1", config.Windows.Stage1Seconds, [rates.VideoFps, rates.SemanticHz], ["video_fps", "semantic_hz"]),
            ("stage2", config.Windows.Stage2Seconds, [rates.SemanticHz, rates.AcousticHz], ["semantic_hz", "acoustic_hz"]),
            ("stage3", config.Windows.Stage3Seconds, [rates.AcousticHz], ["acoustic_hz"]),
        ];
        foreach (var (stage, seconds, hz, names) in windows)
            for (int i = 0; i < hz.Length; i++)
            {
                double steps = seconds * hz[i];
                if (steps > MaxWindowSteps)
                    throw root.Error($"windows.{stage}_seconds", $"{seconds} s at rates.{names[i]} {hz[i]} is {steps} steps; a window holds at most {MaxWindowSteps}");
                if (Math.Abs(steps - Math.Round(steps)) > 1e-9)
                    throw root.Error($"windows.{stage}_seconds", $"{seconds} s at rates.{names[i]} {hz[i]} is not a whole number of steps");
            }
    }
}
