namespace V2Meow.Runtime.Transformer;

/// <summary>
/// Which RNG stream a generated token draws from. SPEC §8.1: stage N draws from stream N, and the counter
/// is the token's 0-based index in that stage's output for the whole request, across windows. Several
/// candidates of one request are this runtime's extension: candidate b draws from stream N + b · 2^32, so
/// candidate 0 follows the SPEC exactly and every candidate has its own draws, however the work is batched.
/// </summary>
public static class SamplingStreams
{
    /// <summary>2^32: the stream distance between consecutive candidates.</summary>
    public const ulong CandidateStride = 1UL << 32;

    /// <summary>The stream of <paramref name="candidate"/> in stage <paramref name="stage"/>: stage + candidate · 2^32.</summary>
    public static ulong For(int stage, int candidate = 0) => (ulong)stage + (ulong)candidate * CandidateStride;
}
