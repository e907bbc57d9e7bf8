namespace V2Meow.Runtime.Generation;

/// <summary>The pipeline's stages, in the order data flows through them.</summary>
public enum PipelineStage
{
    /// <summary>Visual features (and the style vector) from the video.</summary>
    Features,
    /// <summary>Stage 1: features → semantic tokens.</summary>
    Semantic,
    /// <summary>Stage 2: semantic tokens → coarse acoustic codes.</summary>
    Coarse,
    /// <summary>Stage 3: coarse → fine acoustic codes.</summary>
    Fine,
    /// <summary>The codec: acoustic codes → waveform.</summary>
    Codec,
    /// <summary>VMAs: video frames → the video encoder's features.</summary>
    VideoEncoder,
    /// <summary>VMAs: the music decoder's codes, all codebooks in the delay pattern.</summary>
    MusicTokens,
}

/// <summary>Reported through IProgress as a generation advances.</summary>
public readonly record struct GenerationProgress(
    PipelineStage Stage,
    int Window,
    int Windows,
    long TokensDone,
    long TokensTotal)
{
    /// <summary>TokensDone / TokensTotal of the current stage, in [0, 1]; 1 when there is nothing to do.</summary>
    public double Fraction => TokensTotal == 0 ? 1 : (double)TokensDone / TokensTotal;
}
