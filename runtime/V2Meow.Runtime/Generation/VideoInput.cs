namespace V2Meow.Runtime.Generation;

/// <summary>
/// What to score: a video file (its length sets the music's; the built-in visual extractor reads it), and
/// optionally precomputed feature files per encoder stream (CLIP, I3D, VQGAN ids…, one row per frame at
/// the bundle's video_fps) and a style embedding (a 128-d MuLan-style vector) for text control.
/// </summary>
public sealed record VideoInput
{
    /// <summary>The video; needed for its duration, for the built-in stream, and for muxing.</summary>
    public required string VideoPath { get; init; }

    /// <summary>Feature files by stream name (.npy or .safetensors).</summary>
    public IReadOnlyDictionary<string, string> FeatureFiles { get; init; } = new Dictionary<string, string>();

    /// <summary>A style vector of the bundle's style_dim; a file path is read by <see cref="StyleEmbeddingFile"/>.</summary>
    public float[]? StyleEmbedding { get; init; }

    /// <summary>A .npy or .safetensors file holding the style vector.</summary>
    public string? StyleEmbeddingFile { get; init; }

    /// <summary>A text prompt ("slow dark piano") turned into the style vector by the bundle's text tower.</summary>
    public string? Prompt { get; init; }

    /// <summary>
    /// Longest video accepted, in seconds (two hours by default): a damaged header can claim any length,
    /// and memory and time grow with it. Longer videos are refused before any work.
    /// </summary>
    public double MaxDurationSeconds { get; init; } = Loaders.Video.VideoProbe.DefaultMaxDurationSeconds;
}
