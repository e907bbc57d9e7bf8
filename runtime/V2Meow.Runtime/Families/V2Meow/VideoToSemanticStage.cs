using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Runtime.Families.V2Meow;

/// <summary>
/// Stage 1 (SPEC §7.1): visual features → semantic tokens. The encoder reads the video window; the
/// decoder sequence is [BOS, s0, s1, …] with BOS = semantic_codes, and every generated token is a
/// semantic code in [0, semantic_codes).
/// </summary>
public sealed class VideoToSemanticStage : TokenStage
{
    VideoToSemanticStage(Bundle bundle, IComputeBackend backend) : base(bundle, StageId.Stage1, backend) { }

    /// <summary>Loads stage 1's weights from <paramref name="bundle"/> onto <paramref name="backend"/>; the stage owns them.</summary>
    public static VideoToSemanticStage Load(Bundle bundle, IComputeBackend backend) => new(bundle, backend);

    /// <summary>temperatures.stage1 (1.0 by default).</summary>
    public override double DefaultTemperature => Bundle.Temperatures.Stage1;

    /// <summary>BOS = semantic_codes, the first token of every decoder sequence (SPEC §7.1).</summary>
    public int Bos => Tokens.SemanticCodes;

    /// <summary>[BOS, semantic…] (tokens.py stage1_sequence).</summary>
    public int[] Sequence(ReadOnlySpan<int> semantic) => [Bos, .. semantic];

    /// <summary>Semantic tokens [candidates][count] for one window of video, the first of the stage's output.</summary>
    public int[][] Generate(EncoderInput input, int count, StageSampling? sampling = null) =>
        Continue(input, [[]], count, sampling, firstToken: 0);

    /// <summary>
    /// <paramref name="count"/> more semantic tokens per candidate after <paramref name="carried"/> (tokens an
    /// overlapping earlier window already chose for this one: one list shared by all candidates, or one per
    /// candidate), conditioned on this window's video. <paramref name="firstToken"/> is the index of the first
    /// new token in the stage's whole output, its RNG counter (SPEC §8.1).
    /// </summary>
    public int[][] Continue(EncoderInput input, IReadOnlyList<int[]> carried, int count, StageSampling? sampling = null, long firstToken = 0)
    {
        sampling ??= new StageSampling();
        var prompts = carried.Select(c => Sequence(c)).ToList();
        return Generate(prompts, input, count, _ => new TokenRange(0, Tokens.SemanticCodes), sampling, Counter(firstToken));
    }

    internal static ulong Counter(long index) =>
        index >= 0 ? (ulong)index : throw new ArgumentOutOfRangeException(nameof(index), index, "a token index ≥ 0");
}
