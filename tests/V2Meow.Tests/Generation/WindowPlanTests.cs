using V2Meow.Runtime.Generation;

namespace V2Meow.Tests.Generation;

public class WindowPlanTests
{
    [Theory]
    [InlineData(1, 250, 125)]
    [InlineData(250, 250, 125)]
    [InlineData(251, 250, 125)]
    [InlineData(575, 250, 125)]
    [InlineData(1000, 150, 0)]
    public void WindowsCoverEverythingOnceAndCarryTheOverlap(int total, int width, int overlap)
    {
        var windows = WindowPlan.Cover(total, width, overlap);
        Assert.Equal(0, windows[0].Start);
        Assert.Equal(0, windows[0].Carried);
        Assert.Equal(total, windows[^1].End);
        Assert.Equal(total, windows.Sum(w => w.New));
        for (int i = 1; i < windows.Count; i++)
        {
            Assert.Equal(windows[i - 1].End, windows[i].Start + windows[i].Carried);
            Assert.Equal(overlap, windows[i].Carried);
            Assert.True(windows[i].Length <= width);
        }
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WindowPlan.Cover(10, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => WindowPlan.Cover(10, 5, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => WindowPlan.Cover(-1, 5, 1));
    }
}
