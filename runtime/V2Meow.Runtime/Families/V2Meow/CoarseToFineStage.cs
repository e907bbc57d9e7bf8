using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Codecs;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Runtime.Families.V2Meow;

/// <summary>
/// Stage 3 (SPEC §7.3): coarse → fine acoustic codes in windows of stage3_seconds (3 s by default). Each
/// window is its own sequence [coarse ids time-major, SEP, fine ids time-major] with id = level ·
/// codebook_size + code over all levels and SEP = levels · codebook_size; the k-th fine token is restricted
/// to its level's range. Windows are independent, so every window of every candidate runs in one batch
/// (the shorter last windows in a second).
/// </summary>
public sealed class CoarseToFineStage : TokenStage
{
    CoarseToFineStage(Bundle bundle, IComputeBackend backend) : base(bundle, StageId.Stage3, backend) { }

    /// <summary>Loads stage 3's weights from <paramref name="bundle"/> onto <paramref name="backend"/>; the stage owns them.</summary>
    public static CoarseToFineStage Load(Bundle bundle, IComputeBackend backend) => new(bundle, backend);

    /// <summary>temperatures.stage3 (0.4 by default).</summary>
    public override double DefaultTemperature => Bundle.Temperatures.Stage3;

    /// <summary>SEP = (coarse_levels + fine_levels) · codebook_size, between the coarse and the fine codes (SPEC §7.3).</summary>
    public int Separator => (Tokens.CoarseLevels + Tokens.FineLevels) * Tokens.CodebookSize;

    /// <summary>Acoustic frames per window: stage3_seconds · acoustic_hz (a whole number, SPEC §3.4).</summary>
    public int WindowFrames => WindowGeometry.Stage3Frames(Bundle);

    /// <summary>Allowed ids of the k-th fine token after SEP (tokens.py stage3_range).</summary>
    public TokenRange Range(int k)
    {
        int lo = (Tokens.CoarseLevels + k % Tokens.FineLevels) * Tokens.CodebookSize;
        return new TokenRange(lo, lo + Tokens.CodebookSize);
    }

    /// <summary>[coarse ids time-major, SEP, fine ids time-major] (tokens.py stage3_sequence).</summary>
    public int[] Sequence(AcousticCodes coarse, AcousticCodes fine)
    {
        var ids = new List<int>(coarse.Codes.Length + 1 + fine.Codes.Length);
        ids.AddRange(Prompt(coarse));
        for (int t = 0; t < fine.Frames; t++)
            for (int q = 0; q < fine.Levels; q++) ids.Add(Range(q).Lo + fine[q, t]);
        return [.. ids];
    }

    /// <summary>
    /// Fine codes [fine_levels, frames] for each candidate: from one coarse sequence shared by all
    /// candidates, or one per candidate.
    /// </summary>
    public AcousticCodes[] Generate(IReadOnlyList<AcousticCodes> coarse, StageSampling? sampling = null)
    {
        sampling ??= new StageSampling();
        sampling.Validate();
        if (coarse.Count != 1 && coarse.Count != sampling.Candidates)
            throw new ArgumentException($"stage3: {coarse.Count} coarse inputs for {sampling.Candidates} candidates; give one shared or one per candidate");
        if (coarse.Any(c => c.Levels != Tokens.CoarseLevels || c.Frames != coarse[0].Frames))
            throw new ArgumentException($"stage3: coarse codes must all be [{Tokens.CoarseLevels}, {coarse[0].Frames}]");
        int candidates = sampling.Candidates, frames = coarse[0].Frames, width = WindowFrames;
        if (frames == 0) throw new ArgumentException("stage3: no coarse frames to refine");
        int windows = (frames + width - 1) / width;
        var parts = new AcousticCodes[candidates, windows];

        // Window-major rows (window w, candidate b): the full windows in one batch, the short last window
        // (if any) in another. Fine token k of window w is token w · width · fine_levels + k of the stage's
        // output, its RNG counter (SPEC §8.1).
        int full = frames / width;
        foreach (var (first, count) in new[] { (0, full), (full, windows - full) })
        {
            if (count == 0) continue;
            int start = first * width, length = Math.Min(width, frames - start);
            var prompts = new List<int[]>();
            for (int w = first; w < first + count; w++)
                for (int b = 0; b < candidates; b++)
                    prompts.Add(Prompt(coarse[coarse.Count == 1 ? 0 : b].Slice(w * width, length)));
            ulong stride = (ulong)width * (ulong)Tokens.FineLevels;
            var ids = Generate(prompts, null, length * Tokens.FineLevels, Range, sampling, (ulong)first * stride, stride);
            for (int i = 0; i < ids.Length; i++)
                parts[i % candidates, first + i / candidates] =
                    AcousticCodes.FromTimeMajor(ids[i].Select((id, k) => id - Range(k).Lo).ToArray(), Tokens.FineLevels);
        }
        return Enumerable.Range(0, candidates)
            .Select(b => AcousticCodes.Concatenate(Enumerable.Range(0, windows).Select(w => parts[b, w]).ToList())).ToArray();
    }

    int[] Prompt(AcousticCodes coarse)
    {
        var ids = new int[coarse.Codes.Length + 1];
        for (int t = 0; t < coarse.Frames; t++)
            for (int q = 0; q < coarse.Levels; q++) ids[t * coarse.Levels + q] = q * Tokens.CodebookSize + coarse[q, t];
        ids[^1] = Separator;
        return ids;
    }
}
