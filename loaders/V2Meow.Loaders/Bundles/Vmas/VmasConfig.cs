namespace V2Meow.Loaders.Bundles.Vmas;

/// <summary>config.json of a VMAs bundle with every default written out (VMAS.md §3). Built by <see cref="VmasConfigReader"/>.</summary>
/// <param name="Format">"vmas/1".</param>
/// <param name="Name">The model's name.</param>
/// <param name="DType">"float32", "float16" or "bfloat16": the dtype of every weight.</param>
/// <param name="SampleRate">Audio samples per second out of the codec.</param>
/// <param name="WindowSeconds">Seconds of video one window of generation covers.</param>
/// <param name="PromptSeconds">Seconds of the previous window's codes a later window continues from.</param>
/// <param name="Temperature">Default sampling temperature (0 is argmax).</param>
/// <param name="TopK">Default top-k (0 keeps every code).</param>
/// <param name="Guidance">Default classifier-free guidance scale (1 = none).</param>
/// <param name="Video">Frame sampling and normalisation.</param>
/// <param name="Encoder">The Hiera-style video encoder.</param>
/// <param name="Decoder">The MusicGen-style music decoder.</param>
/// <param name="Codec">The codec section (SPEC §3.10, VMAS.md §9).</param>
public sealed record VmasConfig(
    string Format,
    string Name,
    string DType,
    int SampleRate,
    double WindowSeconds,
    double PromptSeconds,
    double Temperature,
    int TopK,
    double Guidance,
    VmasVideoConfig Video,
    VmasEncoderConfig Encoder,
    VmasDecoderConfig Decoder,
    CodecConfig Codec)
{
    /// <summary>The only format this reader accepts.</summary>
    public const string FormatName = "vmas/1";
    /// <summary>The component files of a VMAs bundle (VMAS.md §2).</summary>
    public static readonly string[] Components = ["video_encoder", "music_decoder", "codec"];

    /// <summary>Audio samples per codec frame: the product of the codec's strides.</summary>
    public int Hop => Codec.Strides.Aggregate(1, (a, b) => checked(a * b));
    /// <summary>Codec frames per second.</summary>
    public int FrameRate => SampleRate / Hop;
    /// <summary>F: video frames in one window.</summary>
    public int WindowFrames => (int)Math.Round(WindowSeconds * Video.Fps);
    /// <summary>Tw: codec frames in one window.</summary>
    public int WindowCodeFrames => (int)Math.Round(WindowSeconds * FrameRate);
    /// <summary>Tp: codec frames a continuing window is prompted with.</summary>
    public int PromptCodeFrames => (int)Math.Round(PromptSeconds * FrameRate);
    /// <summary>The patch grid and every stage's grid (VMAS.md §3.3).</summary>
    public VmasGrids Grids => VmasGrids.Of(this);
    /// <summary>The optional contrastive projections (VMAS.md §14), or null when config.json has no "contrastive" section.</summary>
    public VmasContrastiveConfig? Contrastive { get; init; }
}

/// <summary>config.json's optional <c>contrastive</c> (VMAS.md §14.1): the projections that match videos with music.</summary>
/// <param name="Dim">E: the width of the space both projections map into.</param>
public sealed record VmasContrastiveConfig(int Dim)
{
    /// <summary>The component's name, its config.json key and its file's name without ".safetensors".</summary>
    public const string Component = "contrastive";
}

/// <summary>config.json's <c>video</c> (VMAS.md §3.2): frames per second, frame size and per-channel normalisation.</summary>
/// <param name="Fps">Frames sampled per second.</param>
/// <param name="Height">Frame height after resizing and cropping.</param>
/// <param name="Width">Frame width after resizing and cropping.</param>
/// <param name="Mean">Per-channel mean subtracted from pixel/255 (R, G, B).</param>
/// <param name="Std">Per-channel standard deviation divided by (R, G, B).</param>
public sealed record VmasVideoConfig(double Fps, int Height, int Width, IReadOnlyList<double> Mean, IReadOnlyList<double> Std);

/// <summary>One stage of the video encoder (VMAS.md §3.3.1).</summary>
/// <param name="Depth">Blocks in the stage.</param>
/// <param name="Heads">Attention heads.</param>
/// <param name="Attention">"mask_unit" or "global".</param>
/// <param name="MaskUnit">(t, h, w) window of mask-unit attention in the stage's grid; null for global.</param>
/// <param name="Pool">(t, h, w) query-pooling stride from the previous stage's grid; null for the first stage.</param>
public sealed record VmasStageConfig(int Depth, int Heads, string Attention, IReadOnlyList<int>? MaskUnit, IReadOnlyList<int>? Pool)
{
    /// <summary>Local-window attention rather than global.</summary>
    public bool IsMaskUnit => Attention == "mask_unit";
}

/// <summary>config.json's <c>encoder</c> (VMAS.md §3.3): the Hiera-style video encoder.</summary>
/// <param name="EmbedDim">C0: channels after the patch embedding; stage s has C0 · 2^s.</param>
/// <param name="PatchKernel">(kt, kh, kw).</param>
/// <param name="PatchStride">(st, sh, sw).</param>
/// <param name="PatchPadding">(pt, ph, pw).</param>
/// <param name="Stages">The stages in order.</param>
/// <param name="MlpRatio">MLP width over block width.</param>
/// <param name="NormEps">LayerNorm eps.</param>
public sealed record VmasEncoderConfig(int EmbedDim, IReadOnlyList<int> PatchKernel, IReadOnlyList<int> PatchStride,
    IReadOnlyList<int> PatchPadding, IReadOnlyList<VmasStageConfig> Stages, double MlpRatio, double NormEps)
{
    /// <summary>Channels of stage <paramref name="stage"/>: C0 · 2^stage.</summary>
    public int Dim(int stage) => EmbedDim << stage;
    /// <summary>MLP width of a block of width <paramref name="dim"/>: round(mlp_ratio · dim).</summary>
    public int MlpWidth(int dim) => (int)Math.Round(MlpRatio * dim, MidpointRounding.ToEven);
    /// <summary>Blocks over all stages.</summary>
    public int Blocks => Stages.Sum(s => s.Depth);
}

/// <summary>
/// config.json's <c>decoder</c> (VMAS.md §3.4): SPEC §3.6's transformer fields as a decoder-only stack with
/// cross-attention (no relative buckets: positions are sinusoidal), K codebooks of N codes.
/// </summary>
/// <param name="Transformer">The transformer fields; DecoderLayers is the layer count.</param>
/// <param name="Codebooks">K.</param>
/// <param name="CodebookSize">N.</param>
/// <param name="MaxPeriod">Of the sinusoidal positions.</param>
public sealed record VmasDecoderConfig(TransformerConfig Transformer, int Codebooks, int CodebookSize, double MaxPeriod)
{
    /// <summary>The special token N: before and after the delay pattern's codes (VMAS.md §7.1).</summary>
    public int SpecialToken => CodebookSize;
}

/// <summary>The video encoder's grids (VMAS.md §3.3): the patch grid and each stage's (time, height, width).</summary>
/// <param name="Time">T': time steps, never pooled.</param>
/// <param name="Heights">H_s per stage (index 0 is the patch grid).</param>
/// <param name="Widths">W_s per stage.</param>
public sealed record VmasGrids(int Time, IReadOnlyList<int> Heights, IReadOnlyList<int> Widths)
{
    /// <summary>Rows of stage <paramref name="stage"/>'s grid: T' · H_s · W_s.</summary>
    public int Rows(int stage) => Time * Heights[stage] * Widths[stage];

    /// <summary>The grids of a valid config (the reader has checked that every division is exact).</summary>
    public static VmasGrids Of(VmasConfig config)
    {
        var e = config.Encoder;
        int t = Out(config.WindowFrames, e.PatchKernel[0], e.PatchStride[0], e.PatchPadding[0]);
        var heights = new List<int> { Out(config.Video.Height, e.PatchKernel[1], e.PatchStride[1], e.PatchPadding[1]) };
        var widths = new List<int> { Out(config.Video.Width, e.PatchKernel[2], e.PatchStride[2], e.PatchPadding[2]) };
        for (int s = 1; s < e.Stages.Count; s++)
        {
            var pool = e.Stages[s].Pool!;
            heights.Add(heights[^1] / pool[1]);
            widths.Add(widths[^1] / pool[2]);
        }
        return new VmasGrids(t, heights, widths);
    }

    /// <summary>⌊(n + 2p − k) / s⌋ + 1, the length a convolution leaves (≤ 0 when the input is smaller than the kernel).</summary>
    public static int Out(int n, int kernel, int stride, int padding) =>
        n + 2 * padding < kernel ? 0 : (n + 2 * padding - kernel) / stride + 1;
}
