using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Transformer;
using V2Meow.Runtime.Verification;

namespace V2Meow.Tests.Runtime;

/// <summary>Recorded inputs of a golden set, read the way the verifier reads them.</summary>
internal static class StageInputs
{
    public static int[] Tokens(string set, string stage)
    {
        using var golden = SafetensorsFile.Open(GoldenSets.Golden(set));
        return golden.Get($"{stage}.input.tokens").ToInt32();
    }

    public static float[] Logits(string set, string stage)
    {
        using var golden = SafetensorsFile.Open(GoldenSets.Golden(set));
        return golden.Get($"{stage}.logits").ToFloat32();
    }

    /// <summary>The encoder input of an encoder stage, through the verifier's own reader.</summary>
    public static EncoderInput Encoder(Bundle bundle, string set, string stage)
    {
        using var golden = SafetensorsFile.Open(GoldenSets.Golden(set));
        var id = StageIds.TryParse(stage, out var parsed) ? parsed : throw new ArgumentException($"not a stage: {stage}");
        return StageGoldenVerifier.ReadEncoderInput(golden, bundle.Config.Stage(id), stage);
    }
}
