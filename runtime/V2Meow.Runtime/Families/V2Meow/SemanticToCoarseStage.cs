using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Codecs;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Runtime.Families.V2Meow;

/// <summary>
/// Stage 2 (SPEC §7.2): semantic tokens → coarse acoustic codes, in the bundle's layout. Prefix:
/// [semantic…, SEP, coarse time-major]. Interleaved: [s0, frames 0…r−1, s1, frames r…2r−1, …] with r
/// acoustic frames per semantic token, so a frame's own semantic token is never more than r · coarse_levels
/// positions back, inside the exact relative-position buckets; the semantic tokens are fed, not sampled.
/// Coarse ids are semantic_codes + 1 + level · codebook_size + code, and the k-th coarse token of the
/// output is restricted to level k mod coarse_levels. Decoder-only, or encoder–decoder with the video
/// streams when the bundle says so.
/// </summary>
public sealed class SemanticToCoarseStage : TokenStage
{
    SemanticToCoarseStage(Bundle bundle, IComputeBackend backend) : base(bundle, StageId.Stage2, backend) { }

    /// <summary>Loads stage 2's weights from <paramref name="bundle"/> onto <paramref name="backend"/>; the stage owns them.</summary>
    public static SemanticToCoarseStage Load(Bundle bundle, IComputeBackend backend) => new(bundle, backend);

    /// <summary>temperatures.stage2 (0.95 by default).</summary>
    public override double DefaultTemperature => Bundle.Temperatures.Stage2;

    /// <summary>Whether the bundle's stage 2 uses the interleaved layout rather than the prefix one (SPEC §7.2).</summary>
    public bool IsInterleaved => Config.IsInterleaved;

    /// <summary>Acoustic frames per semantic token: r in the interleaved layout, where windows and carried frames are whole groups of r.</summary>
    public int FramesPerGroup => IsInterleaved ? Bundle.FramesPerSemantic : 1;

    /// <summary>Positions per semantic token in the interleaved layout: the token and its r frames.</summary>
    public int GroupLength => WindowGeometry.InterleavedGroupLength(Bundle);

    /// <summary>SEP = semantic_codes, between the semantic tokens and the coarse codes in the prefix layout (SPEC §7.2).</summary>
    public int Separator => Tokens.SemanticCodes;

    /// <summary>Allowed ids of the k-th coarse token of the output (tokens.py stage2_range).</summary>
    public TokenRange Range(int k)
    {
        int lo = Tokens.SemanticCodes + 1 + k % Tokens.CoarseLevels * Tokens.CodebookSize;
        return new TokenRange(lo, lo + Tokens.CodebookSize);
    }

    /// <summary>
    /// The decoder sequence of <paramref name="semantic"/> and <paramref name="coarse"/> (tokens.py
    /// stage2_sequence). Interleaved, every group but the last is whole: r · (N − 1) ≤ frames ≤ r · N, so
    /// a prompt may end on a semantic token.
    /// </summary>
    public int[] Sequence(ReadOnlySpan<int> semantic, AcousticCodes coarse)
    {
        var ids = new List<int>(semantic.Length + 1 + coarse.Codes.Length);
        if (!IsInterleaved)
        {
            ids.AddRange(semantic.ToArray());
            ids.Add(Separator);
            AddFrames(ids, coarse, 0, coarse.Frames);
            return [.. ids];
        }
        int r = Bundle.FramesPerSemantic, n = semantic.Length;
        if (coarse.Frames < r * (n - 1) || coarse.Frames > r * n)
            throw new ArgumentException($"stage2: {coarse.Frames} coarse frames for {n} semantic tokens; the interleaved layout needs {r * (n - 1)} to {r * n}");
        for (int i = 0; i < n; i++)
        {
            ids.Add(semantic[i]);
            AddFrames(ids, coarse, r * i, Math.Min(coarse.Frames, r * (i + 1)));
        }
        return [.. ids];
    }

    /// <summary>Row b's entry of a list holding one entry shared by every row or one per row.</summary>
    static T ForRow<T>(IReadOnlyList<T> list, int b) => list[list.Count == 1 ? 0 : b];

    void AddFrames(List<int> ids, AcousticCodes coarse, int from, int to)
    {
        for (int t = from; t < to; t++)
            for (int q = 0; q < coarse.Levels; q++) ids.Add(Range(q).Lo + coarse[q, t]);
    }

    /// <summary>
    /// Coarse codes [coarse_levels, frames] for each candidate, the first of the stage's output, from one
    /// shared semantic prompt or one per candidate; <paramref name="input"/> feeds the encoder of the
    /// encoder–decoder variant. Interleaved, <paramref name="frames"/> is r per semantic token.
    /// </summary>
    public AcousticCodes[] Generate(IReadOnlyList<int[]> semantic, int frames, EncoderInput? input = null, StageSampling? sampling = null) =>
        Continue(semantic, [new AcousticCodes(Tokens.CoarseLevels, 0, [])], frames, input, sampling, firstFrame: 0);

    /// <summary>
    /// <paramref name="frames"/> more frames of coarse codes per candidate after <paramref name="carried"/>
    /// (frames an overlapping earlier window already chose), for the semantic tokens of this window. Each
    /// of the two lists holds one entry shared by all candidates or one per candidate.
    /// <paramref name="firstFrame"/> is the index of the first new frame in the stage's whole output: its
    /// first token has RNG counter firstFrame · coarse_levels (SPEC §8.1). Interleaved, carried and new
    /// frames are whole groups of r and the semantic tokens cover exactly both.
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
        if (frames < 0) throw new ArgumentOutOfRangeException(nameof(frames), frames, "a frame count ≥ 0");
        foreach (var tokens in semantic)
            foreach (int s in tokens)
                if ((uint)s >= (uint)Tokens.SemanticCodes)
                    throw new ArgumentException($"stage2: semantic token {s} is outside [0, {Tokens.SemanticCodes})");
        int count = Math.Max(semantic.Count, carried.Count);
        ulong firstCounter = VideoToSemanticStage.Counter(firstFrame) * (ulong)Tokens.CoarseLevels;
        int[][] ids = IsInterleaved
            ? ContinueInterleaved(semantic, carried, frames, count, input, sampling, firstCounter)
            : Generate(Enumerable.Range(0, count).Select(b => Sequence(ForRow(semantic, b), ForRow(carried, b))).ToList(),
                input, frames * Tokens.CoarseLevels, Range, sampling, firstCounter); // carried frames are whole: new token k has level k mod coarse_levels
        return ids.Select(tokens => AcousticCodes.FromTimeMajor(tokens.Select((id, k) => id - Range(k).Lo).ToArray(), Tokens.CoarseLevels)).ToArray();
    }

    /// <summary>
    /// The prompt is the carried groups and the first new semantic token; then each group's r · coarse_levels
    /// tokens are drawn and the next semantic token is fed. Returns the drawn ids only, per candidate.
    /// </summary>
    int[][] ContinueInterleaved(IReadOnlyList<int[]> semantic, IReadOnlyList<AcousticCodes> carried, int frames, int count,
        EncoderInput? input, StageSampling sampling, ulong firstCounter)
    {
        int r = Bundle.FramesPerSemantic, g = GroupLength, carriedFrames = carried[0].Frames;
        if (carriedFrames % r != 0 || frames % r != 0 || semantic.Any(s => s.Length * r != carriedFrames + frames))
            throw new ArgumentException($"stage2: {carriedFrames} carried and {frames} new frames for {semantic[0].Length} semantic tokens; " +
                                        $"the interleaved layout needs whole groups of {r} frames covering the tokens");
        if (frames == 0) return Enumerable.Range(0, sampling.Candidates).Select(_ => Array.Empty<int>()).ToArray();
        int first = carriedFrames / r;
        var prompts = Enumerable.Range(0, count)
            .Select(b => Sequence(ForRow(semantic, b).AsSpan(0, first + 1), ForRow(carried, b))).ToList();
        int rows = prompts.Count == 1 ? sampling.Candidates : prompts.Count;
        int Drawn(int k) => k - (k + 1) / g; // tokens drawn before step k: fed semantic tokens draw nothing
        int[]? Fed(int k) => (k + 1) % g != 0 ? null
            : Enumerable.Range(0, rows).Select(b => ForRow(semantic, b)[first + (k + 1) / g]).ToArray();
        var tokens = Generate(prompts, input, frames / r * g - 1, k => Range(Drawn(k)), sampling, firstCounter, forced: Fed, drawIndex: Drawn);
        return tokens.Select(row => row.Where((_, k) => (k + 1) % g != 0).ToArray()).ToArray();
    }
}
