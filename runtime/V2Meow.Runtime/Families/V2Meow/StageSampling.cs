namespace V2Meow.Runtime.Families.V2Meow;

/// <summary>
/// How a stage samples: temperature (null takes the bundle's, SPEC §3: 1.0 / 0.95 / 0.4 by default; 0 is
/// argmax), optional top-k (0 keeps every id), the seed, and how many candidates to draw as one batch.
/// </summary>
public sealed record StageSampling(double? Temperature = null, int TopK = 0, ulong Seed = 0, int Candidates = 1)
{
    internal void Validate()
    {
        if (Candidates < 1) throw new ArgumentOutOfRangeException(nameof(Candidates), Candidates, "at least one candidate");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "0 (off) or more");
        if (Temperature is { } t && (!double.IsFinite(t) || t < 0))
            throw new ArgumentOutOfRangeException(nameof(Temperature), t, "a finite number ≥ 0");
    }
}
