using V2Meow.Loaders.Bundles;

namespace V2Meow.Runtime.Families.V2Meow;

/// <summary>
/// The window sizes of SPEC §4, from config.json alone: the one place the stages, the pipeline, the
/// time-embedding table at load and the benchmarks' footprint take them from. The config reader has
/// already checked that every window is a whole number of steps at each rate it is read at (SPEC §3.4).
/// </summary>
public static class WindowGeometry
{
    /// <summary>Semantic tokens in one stage-1 window: stage1_seconds · semantic_hz.</summary>
    public static int Stage1Tokens(BundleConfig config) => Steps(config.Windows.Stage1Seconds, config.Rates.SemanticHz);

    /// <summary>Semantic tokens in one stage-2 window: stage2_seconds · semantic_hz.</summary>
    public static int Stage2Tokens(BundleConfig config) => Steps(config.Windows.Stage2Seconds, config.Rates.SemanticHz);

    /// <summary>Acoustic frames in one stage-2 window: stage2_seconds · acoustic_hz.</summary>
    public static int Stage2Frames(BundleConfig config) => Steps(config.Windows.Stage2Seconds, config.Rates.AcousticHz);

    /// <summary>Acoustic frames in one stage-3 window: stage3_seconds · acoustic_hz.</summary>
    public static int Stage3Frames(BundleConfig config) => Steps(config.Windows.Stage3Seconds, config.Rates.AcousticHz);

    /// <summary>Positions per semantic token in stage 2's interleaved layout: the token and its r frames of coarse codes (SPEC §7.2).</summary>
    public static int InterleavedGroupLength(BundleConfig config) => 1 + config.FramesPerSemantic * config.Tokens.CoarseLevels;

    /// <summary>
    /// Decoder positions of one window (SPEC §4): stage 1 is BOS and its semantic tokens; stage 2 its semantic
    /// tokens, SEP and coarse codes (prefix) or groups of a token and its frames (interleaved); stage 3 its
    /// coarse codes, SEP and fine codes. No sequence of the stage may run longer.
    /// </summary>
    public static int DecoderLength(BundleConfig config, StageId stage) => stage switch
    {
        StageId.Stage1 => 1 + Stage1Tokens(config),
        StageId.Stage2 when config.Stage2.IsInterleaved => Stage2Tokens(config) * InterleavedGroupLength(config),
        StageId.Stage2 => Stage2Tokens(config) + 1 + Stage2Frames(config) * config.Tokens.CoarseLevels,
        StageId.Stage3 => Stage3Frames(config) * config.TotalLevels + 1,
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, "not a transformer stage"),
    };

    /// <summary>Seconds of video one window of an encoder stage reads (stage 1, or stage 2 when it has an encoder).</summary>
    public static double EncoderSeconds(BundleConfig config, StageId stage) =>
        stage == StageId.Stage1 ? config.Windows.Stage1Seconds : config.Windows.Stage2Seconds;

    /// <summary>Video frames in one window of an encoder stage: its seconds · video_fps.</summary>
    public static int VideoFrames(BundleConfig config, StageId stage) => Steps(EncoderSeconds(config, stage), config.Rates.VideoFps);

    /// <summary>Encoder positions of one window (SPEC §4): every dense frame, every token, the style position.</summary>
    public static int EncoderPositions(BundleConfig config, StageId stage)
    {
        var t = config.Stage(stage);
        int frames = VideoFrames(config, stage);
        return t.Streams.Sum(s => s.IsDense ? frames : frames * s.TokensPerFrame) + (t.StyleDim > 0 ? 1 : 0);
    }

    /// <summary>seconds · hz, which SPEC §3.4 requires to be whole; rounding only absorbs binary fractions like 0.1 s.</summary>
    static int Steps(double seconds, double hz) => (int)Math.Round(seconds * hz);
}
