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
    /// <summary>The only config.json format this build reads (SPEC §3.1).</summary>
    public const string FormatName = "v2meow/1";
    /// <summary>The component files of a bundle (SPEC §2): one per stage, then the codec.</summary>
    public static readonly string[] Components = [.. StageIds.All.Select(s => s.Name()), "codec"];

    /// <summary>The transformer fields of a stage's config.json section (SPEC §3.6–3.9).</summary>
    public TransformerConfig Stage(StageId stage) => stage switch
    {
        StageId.Stage1 => Stage1,
        StageId.Stage2 => Stage2,
        StageId.Stage3 => Stage3,
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, "not a transformer stage"),
    };

    /// <summary>Q = Qc + Qf: the codec's RVQ levels, coarse and fine together (SPEC §3.3).</summary>
    public int TotalLevels => Tokens.CoarseLevels + Tokens.FineLevels;

    /// <summary>Decoder vocabulary of a stage (SPEC §7): stage 1 adds BOS, stage 2 SEP and coarse codes, stage 3 all codes and SEP.</summary>
    public int VocabSize(StageId stage) => stage switch
    {
        StageId.Stage1 => checked(Tokens.SemanticCodes + 1),
        StageId.Stage2 => checked(Tokens.SemanticCodes + 1 + Tokens.CoarseLevels * Tokens.CodebookSize),
        StageId.Stage3 => checked(TotalLevels * Tokens.CodebookSize + 1),
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, "not a transformer stage"),
    };

    /// <summary>Whether the stage has an encoder: always for stage 1, for stage 2 when "encoder_decoder", never for stage 3.</summary>
    public bool HasEncoder(StageId stage) => Stage(stage).EncoderLayers > 0;

    /// <summary>Acoustic frames per semantic token, r: a whole number when stage 2 is interleaved (SPEC §7.2).</summary>
    public int FramesPerSemantic => (int)Math.Round(Rates.AcousticHz / Rates.SemanticHz);

    /// <summary>Audio samples per acoustic frame: the product of the codec's strides.</summary>
    public int Hop => Codec.Strides.Aggregate(1, (a, b) => checked(a * b));
}

/// <summary>config.json's rates (SPEC §3.2); sample_rate equals acoustic_hz × hop.</summary>
/// <param name="VideoFps">Video frames per second fed to the encoders.</param>
/// <param name="SemanticHz">Semantic tokens per second.</param>
/// <param name="AcousticHz">Codec frames per second, each of Q tokens.</param>
/// <param name="SampleRate">Audio samples per second of the decoded waveform.</param>
public sealed record RatesConfig(double VideoFps, double SemanticHz, double AcousticHz, int SampleRate);

/// <summary>config.json's tokens (SPEC §3.3): the semantic vocabulary and the RVQ levels.</summary>
/// <param name="SemanticCodes">S, the semantic vocabulary.</param>
/// <param name="CodebookSize">K, codes per RVQ level.</param>
/// <param name="CoarseLevels">Qc, RVQ levels produced by stage 2.</param>
/// <param name="FineLevels">Qf, RVQ levels produced by stage 3.</param>
public sealed record TokensConfig(int SemanticCodes, int CodebookSize, int CoarseLevels, int FineLevels);

/// <summary>config.json's windows (SPEC §3.4): the longest stretch each stage was trained on, in seconds (SPEC §4).</summary>
/// <param name="Stage1Seconds">Window of stage 1, in seconds.</param>
/// <param name="Stage2Seconds">Window of stage 2, in seconds.</param>
/// <param name="Stage3Seconds">Window of stage 3, in seconds.</param>
public sealed record WindowsConfig(double Stage1Seconds, double Stage2Seconds, double Stage3Seconds);

/// <summary>config.json's sampling temperatures per stage (SPEC §3.5); 0 means greedy.</summary>
/// <param name="Stage1">Temperature of stage 1 (default 1.0).</param>
/// <param name="Stage2">Temperature of stage 2 (default 0.95).</param>
/// <param name="Stage3">Temperature of stage 3 (default 0.4).</param>
public sealed record TemperaturesConfig(double Stage1, double Stage2, double Stage3);

/// <summary>A visual feature stream of an encoder: dense rows projected to d_model, or token ids embedded.</summary>
public sealed record StreamConfig(string Name, string Kind, int Dim, int Vocab, int TokensPerFrame)
{
    /// <summary>Whether the stream carries feature rows (projected by a dense layer) rather than token ids (embedded).</summary>
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
    /// <summary>n_heads × head_dim: the width of q, k and v, which need not equal d_model.</summary>
    public int Inner => NHeads * HeadDim;
    /// <summary>LayerNorm with a bias; otherwise RMSNorm without one (SPEC §6.2).</summary>
    public bool IsLayerNorm => Norm == "layernorm";
    /// <summary>Gated GELU feed-forward with a gate projection beside up (SPEC §6.3).</summary>
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

/// <summary>config.json's codec section (SPEC §3.10, VMAS.md §9): the RVQ and the decoder's shape, for either codec kind.</summary>
/// <param name="CodebookDim">D, the length of each codebook vector.</param>
/// <param name="LatentDim">C_latent, the channels entering the decoder.</param>
/// <param name="OutProj">Whether rvq.out_proj maps codebook_dim to latent_dim; true whenever the two differ.</param>
/// <param name="Channels">[C0, …, CB]: channels before the first block and after each block, one more than <paramref name="Strides"/>.</param>
/// <param name="Strides">[s1, …, sB]: the upsampling factor of each block; their product is the hop.</param>
/// <param name="KernelSize">k of the in/out convolutions and of every residual unit's first convolution.</param>
/// <param name="ResidualDilations">One residual unit per dilation in every block; may be empty.</param>
/// <param name="Padding">"causal" or "centred" (SPEC §9.2).</param>
/// <param name="Activation">"elu" or "snake" (SPEC §9.1).</param>
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
    /// <summary>codec.kind (SPEC §3.10): which decoder runs the codes. Absent in config.json means "soundstream".</summary>
    public string Kind { get; init; } = "soundstream";

    /// <summary>LSTM layers after in_conv, each x + LSTM(x) (VMAS.md §9); 0 for "soundstream".</summary>
    public int LstmLayers { get; init; }

    /// <summary>Kernel of each residual unit's first convolution: <see cref="KernelSize"/> for "soundstream" (VMAS.md §9).</summary>
    public int ResidualKernelSize { get; init; } = KernelSize;

    /// <summary>A residual unit's hidden width is its block's channels divided by this; 1 for "soundstream" (VMAS.md §9).</summary>
    public int Compress { get; init; } = 1;

    /// <summary>Causal padding, all on the left (SPEC §9.2); otherwise centred.</summary>
    public bool IsCausal => Padding == "causal";
    /// <summary>Snake activations (SPEC §9.1), each with an alpha per channel; otherwise ELU.</summary>
    public bool IsSnake => Activation == "snake";
}
