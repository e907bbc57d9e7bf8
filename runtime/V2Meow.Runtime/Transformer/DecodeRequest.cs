namespace V2Meow.Runtime.Transformer;

/// <summary>
/// One batched generation: row r continues <see cref="Prompts"/>[r] by <see cref="Steps"/> tokens, token k
/// drawn from <see cref="Range"/>(k) at <see cref="Temperature"/> (0 is argmax). Rows are groups of
/// <see cref="Candidates"/> (0: one group of all rows); row r = candidate c of group g draws with
/// u = uniform(Seed, StreamBase + c · 2^32, FirstCounter + g · CounterStride + k) (SPEC §8.1, see
/// <see cref="SamplingStreams"/>). Rows with equal prompts share one prefill.
/// Where <see cref="Forced"/>(k) gives ids (one per row), token k is fed as given instead of drawn, and
/// <see cref="DrawIndex"/>(k) replaces k in the counter, so that fed tokens use up no counters (stage 2's
/// interleaved semantic tokens, SPEC §7.2).
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
    ulong CounterStride = 0,
    Func<int, int[]?>? Forced = null,
    Func<int, int>? DrawIndex = null);
