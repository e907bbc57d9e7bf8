namespace V2Meow.Numerics;

/// <summary>
/// One sampling launch over rows of logits [rows, vocab]. Row r draws from ids [Lo, Hi) (the restriction
/// to the current token range, SPEC §7: nothing outside is read) and writes its id to
/// output[OutputOffset + r]; TopK = 0 keeps every id. Rows are groups of <see cref="Candidates"/> rows
/// (0: all rows one group), row r being candidate c = r mod Candidates of group g = r / Candidates, and it
/// draws u = uniform(Seed, StreamBase + c · StreamStep, CounterBase + g · CounterStep) (SPEC §8.1). A decode
/// step of B candidates is one group; stage 3's windows are groups; the goldens' rows are groups of one.
/// </summary>
public struct SamplingRequest
{
    public int Lo;
    public int Hi;
    public int TopK;
    public int OutputOffset;
    public int Candidates;
    public ulong Seed;
    public ulong StreamBase;
    public ulong StreamStep;
    public ulong CounterBase;
    public ulong CounterStep;

    public readonly int Window => Hi - Lo;

    public readonly double Uniform(int row)
    {
        int group = Candidates > 0 ? row / Candidates : 0;
        int candidate = row - group * Candidates;
        return CounterRng.Uniform(Seed, StreamBase + (ulong)candidate * StreamStep, CounterBase + (ulong)group * CounterStep);
    }
}
