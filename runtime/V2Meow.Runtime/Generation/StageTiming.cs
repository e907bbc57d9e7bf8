namespace V2Meow.Runtime.Generation;

/// <summary>Wall time and work of one pipeline stage in one generation.</summary>
public sealed record StageTiming(PipelineStage Stage, TimeSpan Elapsed, long Tokens, string Unit = "tokens")
{
    /// <summary>Work per wall-clock second, in <see cref="StageTiming.Unit"/>; infinity when no time was measured.</summary>
    public double PerSecond => Elapsed.TotalSeconds > 0 ? Tokens / Elapsed.TotalSeconds : double.PositiveInfinity;
}
