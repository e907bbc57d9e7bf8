using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Features;
using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Families.V2Meow;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Runtime.Verification;

/// <summary>
/// A token stage against its goldens (SPEC §10): {stage}.input.tokens (and for encoder stages
/// {stage}.input.streams.{name}, {stage}.input.style) go in; the relative-position buckets, every layer of
/// the encoder and decoder ({stage}.encoder.embed / .layers.{i} / .out, the same for decoder) and
/// {stage}.logits are compared.
/// </summary>
public sealed class StageGoldenVerifier(StageId id) : IGoldenComponentVerifier
{
    /// <summary>The golden prefix, "stage1" …: every tensor of this stage is named "{stage}.…".</summary>
    readonly string stage = id.Name();

    /// <summary>The stage's name: "stage1", "stage2" or "stage3".</summary>
    public string Component => stage;

    /// <inheritdoc/>
    public IReadOnlyList<TensorComparison> Verify(GoldenContext context)
    {
        var golden = context.Golden;
        var config = context.Bundle.Config.Stage(id);
        int[] tokens = golden.Get($"{stage}.input.tokens").ToInt32();
        var input = context.Bundle.Config.HasEncoder(id) ? ReadEncoderInput(golden, config, stage) : null;

        var computed = new Dictionary<string, (string Shape, float[] Values)>(StringComparer.Ordinal);
        using (var model = Load(context.Bundle, context.Backend))
        {
            ActivationTrace trace = (name, tensor) =>
            {
                var values = new float[tensor.Length];
                context.Backend.Download(tensor, values);
                computed[$"{stage}.{name}"] = (tensor.ShapeText, values);
            };
            model.TeacherForcedLogits(tokens, input, trace);
        }

        var results = new List<TensorComparison>();
        var checkedNames = new HashSet<string>(StringComparer.Ordinal);
        if (input is not null)
            results.Add(Buckets(golden, $"{stage}.encoder.buckets", input.Length(config), bidirectional: true, config));
        results.Add(Buckets(golden, $"{stage}.decoder.buckets", tokens.Length, bidirectional: false, config));
        foreach (var entry in golden.Tensors.Where(t => t.Name.StartsWith(stage + ".", StringComparison.Ordinal)).OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            if (entry.Name.StartsWith($"{stage}.input.", StringComparison.Ordinal) || entry.Name.EndsWith(".buckets", StringComparison.Ordinal)) continue;
            if (!computed.TryGetValue(entry.Name, out var tensor))
                throw new SafetensorsFormatException(golden.Path, entry.Name,
                    $"the runtime produces no tensor of this name (SPEC §10 names {stage}.encoder.*, {stage}.decoder.*, {stage}.logits)");
            var expected = golden.Get(entry.Name, ParseShape(tensor.Shape), DType.F32).ToFloat32();
            results.Add(TensorComparison.Floats(entry.Name, tensor.Shape, tensor.Values, expected, context.Tolerance));
            checkedNames.Add(entry.Name);
        }
        foreach (var name in computed.Keys.Where(n => !checkedNames.Contains(n)))
            throw new SafetensorsFormatException(golden.Path, name, "missing; a golden file records every stage intermediate (SPEC §10)");
        return results;
    }

    TokenStage Load(Bundle bundle, IComputeBackend backend) => id switch
    {
        StageId.Stage1 => VideoToSemanticStage.Load(bundle, backend),
        StageId.Stage2 => SemanticToCoarseStage.Load(bundle, backend),
        StageId.Stage3 => CoarseToFineStage.Load(bundle, backend),
        _ => throw new ArgumentException($"not a token stage: {stage}"),
    };

    TensorComparison Buckets(SafetensorsFile golden, string name, int length, bool bidirectional, TransformerConfig config)
    {
        var expected = golden.Get(name, [length, length], DType.I32).ToInt32();
        var actual = RelativePositionBuckets.Matrix(length, length, bidirectional, config.RelBuckets, config.RelMaxDistance);
        return TensorComparison.Integers(name, $"[{length}, {length}]", actual, expected);
    }

    /// <summary>{stage}.input.streams.{name} and {stage}.input.style, checked against the stage's streams.</summary>
    internal static EncoderInput ReadEncoderInput(SafetensorsFile golden, TransformerConfig config, string stage)
    {
        var streams = new Dictionary<string, StreamFeatures>(StringComparer.Ordinal);
        foreach (var s in config.Streams)
        {
            string name = $"{stage}.input.streams.{s.Name}";
            var view = golden.Get(name);
            if (s.IsDense)
            {
                if (view.Shape.Length != 2 || view.Shape[1] != s.Dim || view.DType != DType.F32)
                    throw new SafetensorsFormatException(golden.Path, name, $"expected F32 [frames, {s.Dim}], found {DTypes.Name(view.DType)} {view.Entry.ShapeText}");
                float[] flat = view.ToFloat32();
                var values = new float[view.Shape[0], s.Dim];
                Buffer.BlockCopy(flat, 0, values, 0, flat.Length * sizeof(float));
                streams[s.Name] = StreamFeatures.FromDense(s, values);
            }
            else
            {
                if (view.Shape.Length != 1 || view.Shape[0] % s.TokensPerFrame != 0 || !DTypes.IsInteger(view.DType))
                    throw new SafetensorsFormatException(golden.Path, name, $"expected integer ids [frames × {s.TokensPerFrame}], found {DTypes.Name(view.DType)} {view.Entry.ShapeText}");
                int[] ids = view.ToInt32();
                if (ids.Any(id => id < 0 || id >= s.Vocab))
                    throw new SafetensorsFormatException(golden.Path, name, $"holds an id outside [0, {s.Vocab})");
                streams[s.Name] = StreamFeatures.FromTokens(s, ids);
            }
        }
        float[]? style = config.StyleDim > 0 ? golden.Get($"{stage}.input.style", [config.StyleDim], DType.F32).ToFloat32() : null;
        return new EncoderInput(streams, style);
    }

    static long[] ParseShape(string shape) =>
        shape.Trim('[', ']').Split(", ", StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();
}
