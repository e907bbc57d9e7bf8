using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Generation;

namespace V2Meow.Tests.Generation;

/// <summary>Too many candidates or too long a video is refused before any work, from the memory estimate.</summary>
public class MemoryEstimateTests
{
    static V2Meow.Loaders.Bundles.BundleConfig DefaultConfig =>
        V2Meow.Loaders.Bundles.BundleConfigReader.Load(Path.Combine(V2Meow.Runtime.DefaultModel.EnsureUnpacked(), "config.json"));

    [Fact]
    public void TheEstimateGrowsWithCandidatesAndLength()
    {
        var config = DefaultConfig;
        double one = MemoryEstimate.Bytes(config, 10, 1);
        Assert.Equal(4 * one, MemoryEstimate.Bytes(config, 10, 4), 6);
        // Linear in length past the fixed per-window caches, at least the waveform's 4 bytes a sample more.
        double twenty = MemoryEstimate.Bytes(config, 20, 1), hundred = MemoryEstimate.Bytes(config, 100, 1);
        Assert.Equal(1.0, (hundred - one) / (9 * (twenty - one)), 9);
        Assert.True(hundred - one >= 90 * 16000 * 4);
        // At least the waveform itself: 16000 float samples a second.
        Assert.True(one >= 10 * 16000 * 4);
    }

    [Fact]
    public void AGenerationThatCannotFitIsRefusedNamingTheNumbers()
    {
        var config = DefaultConfig;
        // 64 candidates of two hours: the waveforms alone are 64 × 7200 s × 16000 × 4 bytes ≈ 27 GiB.
        var e = Assert.Throws<DeviceException>(() => MemoryEstimate.Check(config, 7200, 64, 8L << 30));
        Assert.StartsWith("64 candidate(s) of 7200 s need about ", e.Message);
        Assert.Contains("and 8 GiB is available", e.Message);
        MemoryEstimate.Check(config, 2, 1, 8L << 30); // a short clip fits
    }
}
