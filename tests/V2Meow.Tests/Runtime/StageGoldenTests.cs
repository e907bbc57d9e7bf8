using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Verification;
using V2Meow.Tests.Backends;
using Xunit.Abstractions;

namespace V2Meow.Tests.Runtime;

/// <summary>
/// Every committed golden set through the three token stages, the sampler and a seeded stage-2 window, on
/// the CPU backend and on ILGPU's CPU accelerator, with the same code <c>v2meow verify</c> runs. The codec's
/// goldens have their own tests.
/// </summary>
public class StageGoldenTests(BackendFixture backends, ITestOutputHelper output) : IClassFixture<BackendFixture>
{
    public static TheoryData<string, string> SetsAndBackends()
    {
        var data = new TheoryData<string, string>();
        foreach (var set in GoldenSets.Names)
            foreach (var backend in new[] { "cpu", "ilgpu-cpu" }) data.Add(set, backend);
        return data;
    }

    static GoldenVerifier TransformerVerifier()
    {
        var verifier = new GoldenVerifier();
        foreach (var stage in new[] { StageId.Stage1, StageId.Stage2, StageId.Stage3 }) verifier.Register(new StageGoldenVerifier(stage));
        verifier.Register(new SamplingGoldenVerifier());
        verifier.Register(new GenerationGoldenVerifier());
        return verifier;
    }

    [Theory]
    [MemberData(nameof(SetsAndBackends))]
    public void StagesSamplerAndGenerationMatchTheReference(string set, string backendName)
    {
        using var bundle = Bundle.Open(GoldenSets.Bundle(set));
        using var golden = SafetensorsFile.Open(GoldenSets.Golden(set));
        var report = TransformerVerifier().Verify(bundle, golden, backends.Get(backendName));
        foreach (var c in report.Comparisons) output.WriteLine(c.ToString());

        // Every stage of the set was compared, down to its logits, and so was every sampling case and the
        // generated stage-2 window.
        foreach (var stage in new[] { "stage1", "stage2", "stage3" })
            Assert.Contains(report.Comparisons, c => c.Name == $"{stage}.logits");
        Assert.Equal(9, report.Comparisons.Count(c => c.Name.StartsWith("sampling.tokens.", StringComparison.Ordinal)));
        Assert.Contains(report.Comparisons, c => c.Name == "generation.stage2.coarse");
        Assert.Equal(["codec"], report.Unverified.Where(c => c != "codec_encoder"));
        // Every float tensor judged against its float64 evaluation: the runtime's error within
        // GoldenTolerance.Limit of PyTorch-f32's own (SPEC §10); ids and buckets exactly.
        Assert.All(report.Comparisons.Where(c => c.IsFloat), c => Assert.NotNull(c.Float64));
        Assert.Contains(report.Comparisons, c => c.IsFloat);
        var failing = report.Comparisons.Where(c => !c.Passes).Select(c => c.ToString()).ToList();
        Assert.True(failing.Count == 0, string.Join("\n", failing));
    }
}
