using V2Meow.Benchmarking;

namespace V2Meow.Tests.Benchmarking;

public class TimingTests
{
    [Fact]
    public void ShortRunsAreTimedUntilTheMinimumTimeUpToTheCap()
    {
        int calls = 0;
        double best = Timing.BestTimed(3, () => calls++);
        // Runs of next to nothing never fill 2 s: timing stops at the cap of 100 runs.
        Assert.Equal(100, calls);
        Assert.True(best >= 0 && best < 0.01, $"best {best}");
    }

    [Fact]
    public void LongRunsStopOnceTheRepeatsAreDoneAndTheMinimumTimeIsFilled()
    {
        int calls = 0;
        var lengths = new[] { 0.9, 0.4, 0.9, 0.1 };
        // 0.9 + 0.4 + 0.9 = 2.2 s timed after 3 runs: one repeat asked, three made, the fourth never started.
        double best = Timing.BestTimed(1, () => Thread.Sleep(TimeSpan.FromSeconds(lengths[calls++])));
        Assert.Equal(3, calls);
        Assert.InRange(best, 0.4, 0.85); // the 0.4 s run, however late a loaded machine wakes the sleeper
    }
}
