namespace V2Meow.Runtime.Transformer;

/// <summary>
/// One batched generation: row r continues <see cref="Prompts"/>[r] by <see cref="Steps"/> tokens, token k
/// drawn from <see cref="Range"/>(k) at <see cref="Temperature"/> (0 is argmax). Rows are groups of
/// <see cref="Candidates"/> (0: one group of all rows); row r = candidate c of group g draws with
/// u = uniform(Seed, StreamBase + c · 2^32, FirstCounter + g · CounterStride + k) (SPEC §8.1, see
/// <see cref="SamplingStreams"/>). Rows with equal prompts share one prefill.
/// </summary>
internal sealed record DecodeRequest(
    IReadOnlyList<int[]> Prompts,
    int Steps,
    Func<int, TokenRange> Range,
    double Temperature,
    int TopK,
    ulong Seed,
    ulong StreamBase,
    ulong FirstCounter = 0,
    int Candidates = 0,
    ulong CounterStride = 0);
