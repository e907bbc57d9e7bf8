using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Runtime.Families.V2Meow;

/// <summary>
/// What the three token stages share: loading from a bundle, teacher-forced logits, batched generation at
/// the stage's temperature, and the window limit. The subclasses know their token layouts (SPEC §7).
/// </summary>
public abstract class TokenStage : IDisposable
{
    private protected StageModel Model { get; }
    /// <summary>The bundle's config.json.</summary>
    public BundleConfig Bundle { get; }
    /// <summary>The token counts (SPEC §3.3) the stage's id ranges derive from.</summary>
    public TokensConfig Tokens => Bundle.Tokens;
    /// <summary>This stage's transformer section of config.json.</summary>
    public TransformerConfig Config => Model.Config;
    /// <summary>The backend the stage's weights live on.</summary>
    public IComputeBackend Backend => Model.Backend;
    /// <summary>Which of the three stages this is.</summary>
    public StageId Id => Model.Id;
    /// <summary>"stage1", "stage2" or "stage3".</summary>
    public string Name => Model.Name;
    /// <summary>The decoder's vocabulary: rows of its embedding and its output head (SPEC §7).</summary>
    public int Vocabulary => Model.Vocabulary;
    /// <summary>Whether the stage has an encoder over the video streams.</summary>
    public bool HasEncoder => Model.HasEncoder;
    /// <summary>config.json's temperature for this stage (SPEC §3.5).</summary>
    public abstract double DefaultTemperature { get; }
    /// <summary>Decoder positions of one window (SPEC §4): no sequence may run longer.</summary>
    public int WindowLength => WindowGeometry.DecoderLength(Bundle, Id);

    private protected TokenStage(Bundle bundle, StageId stage, IComputeBackend backend)
    {
        Bundle = bundle.Config;
        Model = StageModel.Load(bundle, stage, backend);
    }

    /// <summary>
    /// Logits [tokens.Length, vocab], row i predicting token i + 1 from tokens 0..i (and the encoder input,
    /// in encoder–decoder stages). <paramref name="trace"/> sees every intermediate by its golden name.
    /// </summary>
    public float[] TeacherForcedLogits(int[] tokens, EncoderInput? input = null, ActivationTrace? trace = null)
    {
        CheckWindow(tokens.Length);
        using var memory = Model.Encode(input, trace);
        return Model.TeacherForced(tokens, memory, trace);
    }

    /// <summary>
    /// Runs one batch. <paramref name="prompts"/> holds one prompt shared by every candidate, or groups of
    /// one prompt per candidate (stage 3's windows are groups); group g's token k has counter
    /// <paramref name="firstCounter"/> + g · <paramref name="counterStride"/> + k in this stage's stream (SPEC §8.1).
    /// Where <paramref name="forced"/>(k) gives one id per row, token k is fed as it is and draws nothing;
    /// <paramref name="drawIndex"/>(k) then replaces k in the counter.
    /// </summary>
    private protected int[][] Generate(IReadOnlyList<int[]> prompts, EncoderInput? input, int steps, Func<int, TokenRange> range,
        StageSampling sampling, ulong firstCounter, ulong counterStride = 0, Func<int, int[]?>? forced = null, Func<int, int>? drawIndex = null)
    {
        sampling.Validate();
        int candidates = sampling.Candidates;
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "a token count ≥ 0");
        if (prompts.Count != 1 && prompts.Count % candidates != 0)
            throw new ArgumentException($"{Name}: {prompts.Count} prompts for {candidates} candidates; give one shared prompt or one per candidate");
        foreach (var prompt in prompts) CheckWindow(prompt.Length + steps);
        var rows = prompts.Count == 1 ? Enumerable.Repeat(prompts[0], candidates).ToList() : prompts;
        using var memory = Model.Encode(input, trace: null);
        var request = new DecodeRequest(rows, steps, range, sampling.Temperature ?? DefaultTemperature, sampling.TopK, sampling.Seed,
            SamplingStreams.For(Model.Number), firstCounter, candidates, counterStride, forced, drawIndex);
        return Model.Generate(request, memory);
    }

    void CheckWindow(int positions)
    {
        if (positions > WindowLength)
            throw new ArgumentException($"{Name}: {positions} decoder positions exceed one window of {WindowLength} (SPEC §4); split the work into windows");
    }

    /// <summary>Frees the stage's weights and scratch on the backend.</summary>
    public void Dispose()
    {
        Model.Dispose();
        GC.SuppressFinalize(this);
    }
}
