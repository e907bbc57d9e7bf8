using V2Meow.Runtime;
using V2Meow.Tests.Backends;
using Xunit.Abstractions;

namespace V2Meow.Tests.Families;

/// <summary>
/// A vmas/1 bundle carrying the codec's encoder (SPEC §9.3, VMAS.md §9), exported and recorded by the reference at
/// test time from vmas-tiny's config (so vmas-tiny's committed goldens keep their bytes; vmas-match commits one), verified as
/// <c>v2meow verify</c> verifies it, on both backends: the encodec kind's encoder with its LSTM.
/// </summary>
public class VmasCodecEncoderTests(BackendFixture backends, ITestOutputHelper output) : IClassFixture<BackendFixture>
{
    [Fact]
    public void TheReferencesEncoderGoldensVerifyOnBothBackends()
    {
        using var dir = new TempDirectory();
        string root = ReferenceProcess.RepositoryRoot(), reference = Path.Combine(root, "weights-spec", "reference");
        string bundle = dir.File("bundle"), golden = dir.File("golden.safetensors");
        ReferenceProcess.Run(ReferenceProcess.Python, ["-m", "vmas.export", "--config", Path.Combine(root, "weights-spec", "examples", "vmas-tiny.json"),
            "--seed", "11", "--out", bundle, "--codec-encoder"], reference);
        ReferenceProcess.Run(ReferenceProcess.Python, ["-m", "vmas.golden", "--bundle", bundle, "--seed", "201", "--out", golden], reference);

        foreach (string backend in BackendFixture.Names)
        {
            var report = ModelFamilies.Of(bundle).CreateVerifier().Verify(bundle, golden, backends.Get(backend));
            foreach (var c in report.Comparisons.Where(c => c.Name.StartsWith("codec_encoder.", StringComparison.Ordinal)))
                output.WriteLine($"{backend}: {c}");
            Assert.Empty(report.Unverified);
            foreach (string name in new[] { "codec_encoder.in_conv", "codec_encoder.blocks.1", "codec_encoder.lstm", "codec_encoder.latent", "codec_encoder.codes" })
                Assert.Contains(report.Comparisons, c => c.Name == name);
            Assert.True(report.Passes, report.Summary);
        }
    }
}
