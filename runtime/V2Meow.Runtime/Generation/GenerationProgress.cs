namespace V2Meow.Runtime.Generation;

/// <summary>The pipeline's stages, in the order data flows through them.</summary>
public enum PipelineStage { Features, Semantic, Coarse, Fine, Codec }

/// <summary>Reported through IProgress as a generation advances.</summary>
public readonly record struct GenerationProgress(
    PipelineStage Stage,
    int Window,
    int Windows,
    long TokensDone,
    long TokensTotal)
{
    public double Fraction => TokensTotal == 0 ? 1 : (double)TokensDone / TokensTotal;
}
