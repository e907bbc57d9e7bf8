using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Runtime.Stages;

/// <summary>
/// Stage 2 (SPEC §7.2): semantic tokens → coarse acoustic codes. The sequence is
/// [semantic…, SEP, coarse time-major] with SEP = semantic_codes and coarse id
/// semantic_codes + 1 + level · codebook_size + code; the k-th coarse token is restricted to its level's
/// range. Decoder-only, or encoder–decoder with the video streams when the bundle says so.
/// </summary>
public sealed class SemanticToCoarseStage : TokenStage
{
    SemanticToCoarseStage(Bundle bundle, IComputeBackend backend) : base(bundle, "stage2", backend) { }

    public static SemanticToCoarseStage Load(Bundle bundle, IComputeBackend backend) => new(bundle, backend);

    public override double DefaultTemperature => Bundle.Temperatures.Stage2;

    /// <summary>stage2_seconds of semantic tokens, SEP, and stage2_seconds of coarse frames.</summary>
    public override int WindowLength =>
        Steps(Bundle.Windows.Stage2Seconds, Bundle.Rates.SemanticHz) + 1 + Steps(Bundle.Windows.Stage2Seconds, Bundle.Rates.AcousticHz) * Tokens.CoarseLevels;

    public int Separator => Tokens.SemanticCodes;

    /// <summary>Allowed ids of the k-th coarse token after SEP (tokens.py stage2_range).</summary>
    public TokenRange Range(int k)
    {
        int lo = Tokens.SemanticCodes + 1 + k % Tokens.CoarseLevels * Tokens.CodebookSize;
        return new TokenRange(lo, lo + Tokens.CodebookSize);
    }

    /// <summary>[semantic…, SEP, coarse ids time-major] (tokens.py stage2_sequence).</summary>
    public int[] Sequence(ReadOnlySpan<int> semantic, AcousticCodes coarse)
    {
        var ids = new List<int>(semantic.Length + 1 + coarse.Codes.Length);
        ids.AddRange(semantic.ToArray());
        ids.Add(Separator);
        for (int t = 0; t < coarse.Frames; t++)
            for (int q = 0; q < coarse.Levels; q++) ids.Add(Range(q).Lo + coarse[q, t]);
        return [.. ids];
    }

    /// <summary>
    /// Coarse codes [coarse_levels, frames] for each candidate, the first of the stage's output, from one
    /// shared semantic prompt or one per candidate; <paramref name="input"/> feeds the encoder of the
    /// encoder–decoder variant.
    /// </summary>
    public AcousticCodes[] Generate(IReadOnlyList<int[]> semantic, int frames, EncoderInput? input = null, StageSampling? sampling = null) =>
        Continue(semantic, [new AcousticCodes(Tokens.CoarseLevels, 0, [])], frames, input, sampling, firstFrame: 0);

    /// <summary>
    /// <paramref name="frames"/> more frames of coarse codes per candidate after <paramref name="carried"/>
    /// (frames an overlapping earlier window already chose), for the semantic tokens of this window. Each
    /// of the two lists holds one entry shared by all candidates or one per candidate.
    /// <paramref name="firstFrame"/> is the index of the first new frame in the stage's whole output: its
    /// first token has RNG counter firstFrame · coarse_levels (SPEC §8.1).
    /// </summary>
    public AcousticCodes[] Continue(IReadOnlyList<int[]> semantic, IReadOnlyList<AcousticCodes> carried, int frames,
        EncoderInput? input = null, StageSampling? sampling = null, long firstFrame = 0)
    {
        sampling ??= new StageSampling();
        int candidates = sampling.Candidates;
        bool Fits(int n) => n == 1 || n == candidates;
        if (!Fits(semantic.Count) || !Fits(carried.Count))
            throw new ArgumentException($"stage2: {semantic.Count} semantic prompts and {carried.Count} carried codes for {candidates} candidates; give one shared or one per candidate");
        int carriedFrames = carried[0].Frames;
        if (carried.Any(x => x.Levels != Tokens.CoarseLevels || x.Frames != carriedFrames))
            throw new ArgumentException($"stage2: carried codes must all be [{Tokens.CoarseLevels}, {carriedFrames}]");
        int count = Math.Max(semantic.Count, carried.Count);
        var prompts = Enumerable.Range(0, count)
            .Select(b => Sequence(semantic[semantic.Count == 1 ? 0 : b], carried[carried.Count == 1 ? 0 : b])).ToList();
        // Carried frames are whole, so the k-th new token has level k mod coarse_levels.
        var ids = Generate(prompts, input, frames * Tokens.CoarseLevels, Range, sampling,
            VideoToSemanticStage.Counter(firstFrame) * (ulong)Tokens.CoarseLevels);
        return ids.Select(tokens => AcousticCodes.FromTimeMajor(tokens.Select((id, k) => id - Range(k).Lo).ToArray(), Tokens.CoarseLevels)).ToArray();
    }
}
