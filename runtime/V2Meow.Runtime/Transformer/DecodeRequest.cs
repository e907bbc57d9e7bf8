namespace V2Meow.Runtime.Transformer;

/// <summary>
/// One batched generation: candidate b continues <see cref="Prompts"/>[b] by <see cref="Steps"/> tokens,
/// token k drawn from <see cref="Range"/>(k) at <see cref="Temperature"/> (0 is argmax) with
/// u = uniform(Seed, StreamBase + b, k) (SPEC §8). Candidates with equal prompts share one prefill.
/// </summary>
internal sealed record DecodeRequest(
    IReadOnlyList<int[]> Prompts,
    int Steps,
    Func<int, TokenRange> Range,
    double Temperature,
    int TopK,
    ulong Seed,
    ulong StreamBase);
