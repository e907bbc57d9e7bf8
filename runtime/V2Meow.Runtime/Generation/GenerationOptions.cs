namespace V2Meow.Runtime.Generation;

/// <summary>How one generation samples. Every field has the default a user would expect; null temperatures take the bundle's.</summary>
public sealed record GenerationOptions
{
    /// <summary>Same seed, same bundle, same input → the same audio, on every run and every backend.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// Most candidates one generation takes: every candidate holds its own caches and waveform, so memory
    /// grows with the count (100000 candidates once grew past 8.9 GB before failing).
    /// </summary>
    public const int MaxCandidates = 64;

    /// <summary>Independent candidates for one video, generated as one batch (1 to <see cref="MaxCandidates"/>).</summary>
    public int Candidates { get; init; } = 1;

    /// <summary>Per-stage temperatures; null takes config.json's (1.0 / 0.95 / 0.4 by default).</summary>
    public double? Stage1Temperature { get; init; }
    /// <summary>Stage 2's temperature; null takes config.json's.</summary>
    public double? Stage2Temperature { get; init; }
    /// <summary>Stage 3's temperature; null takes config.json's.</summary>
    public double? Stage3Temperature { get; init; }

    /// <summary>
    /// One temperature for a family with a single token stage (VMAs; null takes config.json's, 1.0 by
    /// default). V2Meow reads its per-stage fields above instead.
    /// </summary>
    public double? Temperature { get; init; }

    /// <summary>Sample only among the k most likely tokens; 0 turns it off; null takes the bundle's (V2Meow: off, VMAs: config.json's top_k, 250 by default).</summary>
    public int? TopK { get; init; }

    /// <summary>
    /// Classifier-free guidance scale of a family that has it (VMAs, VMAS.md §6.4): logits = u + g·(c − u);
    /// 1 turns it off; null takes config.json's (3.0 by default). V2Meow has no null condition and refuses it.
    /// </summary>
    public double? Guidance { get; init; }

    internal void Validate()
    {
        if (Candidates is < 1 or > MaxCandidates)
            throw new ArgumentOutOfRangeException(nameof(Candidates), Candidates, $"from 1 to {MaxCandidates} candidates");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "0 (off) or more");
        if (Guidance is { } g && (!double.IsFinite(g) || g < 0 || g > 100))
            throw new ArgumentOutOfRangeException(nameof(Guidance), g, "a guidance scale from 0 to 100");
        foreach (var (name, t) in new[] { ("stage 1", Stage1Temperature), ("stage 2", Stage2Temperature), ("stage 3", Stage3Temperature), ("the", Temperature) })
            if (t is { } v && (!double.IsFinite(v) || v < 0))
                throw new ArgumentOutOfRangeException(name + " temperature", v, "a finite number >= 0");
    }
}
