using V2Meow.Runtime.Scoring;

namespace V2Meow.Tests.Scoring;

/// <summary>LORIS's bins and AV-Align's window on hand-worked examples.</summary>
public class BeatMetricsTests
{
    [Fact]
    public void LorisCountsBinsNotBeats()
    {
        // Music onsets in bins 0, 0, 2, 3; visual beats in bins 0, 1, 3 (4 s each): hits are bins 0 and 3.
        var (coverage, hit, f1, bins) = BeatMetrics.Loris([0.1, 0.9, 2.5, 3.2], 4.0, [0.4, 1.5, 3.9], 4.0);
        Assert.Equal(4, bins);
        Assert.Equal(2.0 / 3, coverage, 1e-12); // 2 of the music's 3 bins
        Assert.Equal(2.0 / 3, hit, 1e-12);      // 2 of the video's 3 bins
        Assert.Equal(2.0 / 3, f1, 1e-12);
    }

    [Fact]
    public void LorisKeepsTheShorterSidesBins()
    {
        // 2.5 s of music against 4 s of video: 3 bins; the beat at 3.5 s is past them.
        var (coverage, hit, _, bins) = BeatMetrics.Loris([0.5, 2.2], 2.5, [0.5, 3.5], 4.0);
        Assert.Equal(3, bins);
        Assert.Equal(0.5, coverage, 1e-12);
        Assert.Equal(1.0, hit, 1e-12);
    }

    [Fact]
    public void NoBeatsOnOneSideScoresZeroNotNaN()
    {
        var (coverage, hit, f1, _) = BeatMetrics.Loris([], 3, [0.5], 3);
        Assert.Equal((0.0, 0.0, 0.0), (coverage, hit, f1));
        Assert.Equal(0, BeatMetrics.AvAlign([], [], 25));
    }

    [Fact]
    public void AvAlignMatchesWithinOneFrameExclusive()
    {
        // At 10 fps the window is 0.1 s, open: 1.05 is within 0.1 of 1.0, 2.1 is not of 2.0 (2.0 + 0.1 is not > 2.1).
        double score = BeatMetrics.AvAlign([1.05, 2.1, 3.0], [1.0, 2.0], 10);
        Assert.Equal(1.0 / (3 + 2 - 1), score, 1e-12);
    }
}
