using System.Globalization;
using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Codecs;
using V2Meow.Runtime.Families.V2Meow;

namespace V2Meow.Runtime.Verification;

/// <summary>
/// A seeded stage-2 window against the reference's (SPEC §10, weights-spec/reference/generation.py): the
/// semantic tokens generation.stage2.semantic and the frames generation.stage2.carried go in with the
/// "generation" metadata's temperature, seed, top-k and first frame; the runtime must draw exactly the codes
/// generation.stage2.coarse. This is what checks the layout end to end: the prompt, the fed semantic tokens
/// of the interleaved layout, the level ranges and the RNG counters. Encoder–decoder bundles feed the encoder
/// the stage-2 goldens' inputs.
/// </summary>
public sealed class GenerationGoldenVerifier : IGoldenComponentVerifier
{
    /// <summary>"generation".</summary>
    public string Component => "generation";

    /// <inheritdoc/>
    public IReadOnlyList<TensorComparison> Verify(GoldenContext context)
    {
        var golden = context.Golden;
        var config = context.Bundle.Config;
        int levels = config.Tokens.CoarseLevels;
        var (temperature, topK, seed, firstFrame, layout) = ReadCase(golden);
        if (layout != config.Stage2.Layout)
            throw new SafetensorsFormatException(golden.Path, null, $"generation metadata: recorded with the \"{layout}\" stage-2 layout, the bundle has \"{config.Stage2.Layout}\"");
        var semanticView = golden.Get("generation.stage2.semantic");
        if (semanticView.Shape.Length != 1 || semanticView.DType != DType.I32)
            throw new SafetensorsFormatException(golden.Path, "generation.stage2.semantic", $"expected I32 [tokens], found {DTypes.Name(semanticView.DType)} {semanticView.Entry.ShapeText}");
        int[] semantic = semanticView.ToInt32();
        var carried = Codes(golden, "generation.stage2.carried", levels);
        var expected = Codes(golden, "generation.stage2.coarse", levels);
        var input = config.HasEncoder(StageId.Stage2) ? StageGoldenVerifier.ReadEncoderInput(golden, config.Stage2, StageId.Stage2.Name()) : null;

        using var stage = SemanticToCoarseStage.Load(context.Bundle, context.Backend);
        var actual = stage.Continue([semantic], [carried], expected.Frames, input, new StageSampling(temperature, topK, seed), firstFrame)[0];
        foreach (var entry in golden.Tensors.Where(t => t.Name.StartsWith("generation.", StringComparison.Ordinal)))
            if (entry.Name is not ("generation.stage2.semantic" or "generation.stage2.carried" or "generation.stage2.coarse"))
                throw new SafetensorsFormatException(golden.Path, entry.Name, "not a generation golden (SPEC §10 names generation.stage2.semantic, .carried, .coarse)");
        return [TensorComparison.Integers("generation.stage2.coarse", $"[{levels}, {expected.Frames}]", actual.Codes, expected.Codes)];
    }

    static AcousticCodes Codes(SafetensorsFile golden, string name, int levels)
    {
        var view = golden.Get(name);
        if (view.Shape.Length != 2 || view.Shape[0] != levels || view.DType != DType.I32)
            throw new SafetensorsFormatException(golden.Path, name, $"expected I32 [{levels}, frames], found {DTypes.Name(view.DType)} {view.Entry.ShapeText}");
        return new AcousticCodes(levels, checked((int)view.Shape[1]), view.ToInt32());
    }

    /// <summary>The "generation" metadata: {"stage2": {"temperature", "seed" (a decimal string), "stream", "first_frame", "top_k", "layout"}}.</summary>
    static (double Temperature, int TopK, ulong Seed, long FirstFrame, string Layout) ReadCase(SafetensorsFile golden) =>
        GoldenMetadata.Read(golden, "generation", "the generation case", root =>
        {
            var stage2 = root.GetProperty("stage2");
            if (stage2.GetProperty("stream").GetInt32() != 2)
                throw new SafetensorsFormatException(golden.Path, null, "generation metadata: stage 2 draws from stream 2 (SPEC §8.1)");
            return (stage2.GetProperty("temperature").GetDouble(), stage2.GetProperty("top_k").GetInt32(),
                ulong.Parse(stage2.GetProperty("seed").GetString() ?? "", CultureInfo.InvariantCulture), stage2.GetProperty("first_frame").GetInt64(),
                stage2.GetProperty("layout").GetString() ?? "");
        });
}
