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
    /// <summary>First id a row may draw (inclusive).</summary>
    public int Lo;
    /// <summary>End of the ids a row may draw (exclusive).</summary>
    public int Hi;
    /// <summary>Keep only the TopK largest logits of [Lo, Hi) (SPEC §8.2); 0 keeps every id.</summary>
    public int TopK;
    /// <summary>Index into the output of row 0's id.</summary>
    public int OutputOffset;
    /// <summary>Rows per group (a group's rows share the counter); 0 makes all rows one group.</summary>
    public int Candidates;
    /// <summary>The request's seed (SPEC §8.1).</summary>
    public ulong Seed;
    /// <summary>RNG stream of candidate 0: the stage number in generation, 0 for the goldens (SPEC §8.1).</summary>
    public ulong StreamBase;
    /// <summary>Stream added per candidate within a group.</summary>
    public ulong StreamStep;
    /// <summary>RNG counter of group 0: the index of the token within the stage's output (SPEC §8.1).</summary>
    public ulong CounterBase;
    /// <summary>Counter added per group.</summary>
    public ulong CounterStep;

    /// <summary>Hi − Lo: the number of ids a row draws from.</summary>
    public readonly int Window => Hi - Lo;

    /// <summary>The uniform u that row <paramref name="row"/> draws with (SPEC §8.1).</summary>
    public readonly double Uniform(int row)
    {
        int group = Candidates > 0 ? row / Candidates : 0;
        int candidate = row - group * Candidates;
        return CounterRng.Uniform(Seed, StreamBase + (ulong)candidate * StreamStep, CounterBase + (ulong)group * CounterStep);
    }
}
