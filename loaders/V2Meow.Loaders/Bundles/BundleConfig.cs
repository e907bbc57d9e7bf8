namespace V2Meow.Loaders.Bundles;

/// <summary>config.json of a bundle with every default written out (SPEC §3). Built by <see cref="BundleConfigReader"/>.</summary>
public sealed record BundleConfig(
    string Format,
    string Name,
    string DType,
    RatesConfig Rates,
    TokensConfig Tokens,
    WindowsConfig Windows,
    TemperaturesConfig Temperatures,
    TransformerConfig Stage1,
    TransformerConfig Stage2,
    TransformerConfig Stage3,
    CodecConfig Codec,
    IReadOnlyList<string> OptionalComponents)
{
    public const string FormatName = "v2meow/1";
    /// <summary>The component files of a bundle (SPEC §2): one per stage, then the codec.</summary>
    public static readonly string[] Components = [.. StageIds.All.Select(s => s.Name()), "codec"];

    public TransformerConfig Stage(StageId stage) => stage switch
    {
        StageId.Stage1 => Stage1,
        StageId.Stage2 => Stage2,
        StageId.Stage3 => Stage3,
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, "not a transformer stage"),
    };

    public int TotalLevels => Tokens.CoarseLevels + Tokens.FineLevels;

    /// <summary>Decoder vocabulary of a stage (SPEC §7): stage 1 adds BOS, stage 2 SEP and coarse codes, stage 3 all codes and SEP.</summary>
    public int VocabSize(StageId stage) => stage switch
    {
        StageId.Stage1 => checked(Tokens.SemanticCodes + 1),
        StageId.Stage2 => checked(Tokens.SemanticCodes + 1 + Tokens.CoarseLevels * Tokens.CodebookSize),
        StageId.Stage3 => checked(TotalLevels * Tokens.CodebookSize + 1),
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, "not a transformer stage"),
    };

    public bool HasEncoder(StageId stage) => Stage(stage).EncoderLayers > 0;

    /// <summary>Acoustic frames per semantic token, r: a whole number when stage 2 is interleaved (SPEC §7.2).</summary>
    public int FramesPerSemantic => (int)Math.Round(Rates.AcousticHz / Rates.SemanticHz);

    /// <summary>Audio samples per acoustic frame: the product of the codec's strides.</summary>
    public int Hop => Codec.Strides.Aggregate(1, (a, b) => checked(a * b));
}

public sealed record RatesConfig(double VideoFps, double SemanticHz, double AcousticHz, int SampleRate);

public sealed record TokensConfig(int SemanticCodes, int CodebookSize, int CoarseLevels, int FineLevels);

public sealed record WindowsConfig(double Stage1Seconds, double Stage2Seconds, double Stage3Seconds);

public sealed record TemperaturesConfig(double Stage1, double Stage2, double Stage3);

/// <summary>A visual feature stream of an encoder: dense rows projected to d_model, or token ids embedded.</summary>
public sealed record StreamConfig(string Name, string Kind, int Dim, int Vocab, int TokensPerFrame)
{
    public bool IsDense => Kind == "dense";
}

/// <summary>
/// One transformer stage. <see cref="EncoderLayers"/> is 0 for decoder-only stacks; <see cref="Variant"/>
/// is "decoder_only" or "encoder_decoder" (stage 2; the others are fixed by their role); <see cref="Layout"/>
/// is stage 2's token layout, "prefix" or "interleaved" (SPEC §7.2), and "prefix" for the other stages;
/// <see cref="TimeEmbedding"/> is stage 1's optional sinusoidal time embedding (SPEC §6.8), null elsewhere.
/// </summary>
public sealed record TransformerConfig(
    int DModel,
    int NHeads,
    int HeadDim,
    int DFf,
    string Activation,
    string Norm,
    double NormEps,
    int RelBuckets,
    int RelMaxDistance,
    double AttentionScale,
    int EncoderLayers,
    int DecoderLayers,
    IReadOnlyList<StreamConfig> Streams,
    int StyleDim,
    string Variant,
    string Layout = "prefix",
    TimeEmbeddingConfig? TimeEmbedding = null)
{
    public int Inner => NHeads * HeadDim;
    public bool IsLayerNorm => Norm == "layernorm";
    public bool IsGeglu => Activation == "geglu";
    /// <summary>Stage 2 with each semantic token followed by its acoustic frames (SPEC §7.2).</summary>
    public bool IsInterleaved => Layout == "interleaved";
}

/// <summary>
/// Stage 1's time embedding (SPEC §6.8): d_model/2 sine–cosine pairs whose periods run geometrically from
/// <see cref="MinPeriod"/> to <see cref="MaxPeriod"/> seconds, added to the encoder's stream rows at their
/// frames' times and to the decoder's positions at the times of the tokens they predict.
/// </summary>
public sealed record TimeEmbeddingConfig(double MinPeriod, double MaxPeriod);

public sealed record CodecConfig(
    int CodebookDim,
    int LatentDim,
    bool OutProj,
    IReadOnlyList<int> Channels,
    IReadOnlyList<int> Strides,
    int KernelSize,
    IReadOnlyList<int> ResidualDilations,
    string Padding,
    string Activation = "elu")
{
    /// <summary>codec.kind (SPEC §3.6): which decoder runs the codes. Absent in config.json means "soundstream".</summary>
    public string Kind { get; init; } = "soundstream";

    public bool IsCausal => Padding == "causal";
    /// <summary>Snake activations (SPEC §9.1), each with an alpha per channel; otherwise ELU.</summary>
    public bool IsSnake => Activation == "snake";
}
