using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Runtime.Stages;

/// <summary>
/// What the three token stages share: loading from a bundle, teacher-forced logits, batched generation at
/// the stage's temperature. The subclasses know their token layouts (SPEC §7).
/// </summary>
public abstract class TokenStage : IDisposable
{
    private protected StageModel Model { get; }
    public BundleConfig Bundle { get; }
    public TokensConfig Tokens => Bundle.Tokens;
    public TransformerConfig Config => Model.Config;
    public IComputeBackend Backend => Model.Backend;
    /// <summary>"stage1", "stage2" or "stage3".</summary>
    public string Name => Model.Name;
    public int Vocabulary => Model.Vocabulary;
    public bool HasEncoder => Model.HasEncoder;
    /// <summary>config.json's temperature for this stage (SPEC §3).</summary>
    public abstract double DefaultTemperature { get; }

    private protected TokenStage(Bundle bundle, string stage, IComputeBackend backend)
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
        using var memory = Model.Encode(input, trace);
        return Model.TeacherForced(tokens, memory, trace);
    }

    /// <summary>Runs a batch: one prompt for all candidates, or one per candidate.</summary>
    private protected int[][] Generate(IReadOnlyList<int[]> prompts, EncoderInput? input, int steps, Func<int, TokenRange> range,
        StageSampling sampling, ulong streamBase)
    {
        sampling.Validate();
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "a token count ≥ 0");
        if (prompts.Count != 1 && prompts.Count != sampling.Candidates)
            throw new ArgumentException($"{Name}: {prompts.Count} prompts for {sampling.Candidates} candidates; give one shared prompt or one per candidate");
        var perCandidate = prompts.Count == 1 ? Enumerable.Repeat(prompts[0], sampling.Candidates).ToList() : prompts;
        using var memory = Model.Encode(input, trace: null);
        var request = new DecodeRequest(perCandidate, steps, range, sampling.Temperature ?? DefaultTemperature, sampling.TopK, sampling.Seed, streamBase);
        return Model.Generate(request, memory);
    }

    public void Dispose()
    {
        Model.Dispose();
        GC.SuppressFinalize(this);
    }
}
