namespace V2Meow.Runtime.Generation;

/// <summary>
/// The music for one video: one waveform per candidate, exactly as long as the video, with the tokens that
/// made it and how long each stage took.
/// </summary>
public sealed record GenerationResult(
    IReadOnlyList<float[]> Waveforms,
    int SampleRate,
    double DurationSeconds,
    IReadOnlyList<int[]> SemanticTokens,
    IReadOnlyList<StageTiming> Timings)
{
    /// <summary>How many waveforms were generated.</summary>
    public int Candidates => Waveforms.Count;
}
