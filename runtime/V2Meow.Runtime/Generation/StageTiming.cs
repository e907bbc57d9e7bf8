namespace V2Meow.Runtime.Generation;

/// <summary>Wall time and work of one pipeline stage in one generation.</summary>
public sealed record StageTiming(PipelineStage Stage, TimeSpan Elapsed, long Tokens, string Unit = "tokens")
{
    public double PerSecond => Elapsed.TotalSeconds > 0 ? Tokens / Elapsed.TotalSeconds : double.PositiveInfinity;
}
