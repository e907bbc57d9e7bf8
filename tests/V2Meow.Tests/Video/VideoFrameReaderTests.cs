using V2Meow.Loaders.Video;

namespace V2Meow.Tests.Video;

[Collection(MediaCollection.Name)]
public class VideoFrameReaderTests(TestMedia media)
{
    static async Task<List<VideoFrame>> ReadAll(string path, double fps = 1, int maxShortSide = 224)
    {
        var reader = await VideoFrameReader.OpenAsync(path, new VideoFrameReaderOptions { Fps = fps, MaxShortSide = maxShortSide });
        var frames = new List<VideoFrame>();
        await foreach (var frame in reader.ReadFramesAsync()) frames.Add(frame);
        Assert.Equal(reader.FrameCount, frames.Count);
        return frames;
    }

    public enum Clip { OddSize, Short, VariableFrameRate, WithAudio, Rotated }

    string PathOf(Clip clip) => clip switch
    {
        Clip.OddSize => media.OddSize,
        Clip.Short => media.Short,
        Clip.VariableFrameRate => media.VariableFrameRate,
        Clip.WithAudio => media.WithAudio,
        _ => media.Rotated,
    };

    [Theory]
    [InlineData(Clip.OddSize, 1, 4)]           // 3.5 s: ⌈3.5⌉
    [InlineData(Clip.OddSize, 2, 7)]           // ⌈7.0⌉
    [InlineData(Clip.Short, 1, 1)]             // 0.4 s still gives one frame
    [InlineData(Clip.Short, 2, 1)]
    [InlineData(Clip.VariableFrameRate, 1, 3)] // 2.83 s
    [InlineData(Clip.VariableFrameRate, 2, 6)]
    [InlineData(Clip.WithAudio, 1, 2)]         // 2 s
    [InlineData(Clip.WithAudio, 2, 4)]
    public async Task FrameCountIsDurationTimesRateRoundedUp(Clip clip, double fps, int expected)
    {
        var frames = await ReadAll(PathOf(clip), fps);
        Assert.Equal(expected, frames.Count);
        for (int i = 0; i < frames.Count; i++)
        {
            Assert.Equal(i, frames[i].Index);
            Assert.Equal((i + 0.5) / fps, frames[i].Time, 9);
        }
    }

    [Fact]
    public async Task OddSizeIsScaledToAnEvenSizeWithTheShortSideBounded()
    {
        var frames = await ReadAll(media.OddSize);
        // 321×239 → short side 224: 321 · 224 / 239 = 300.9 → 300.
        Assert.All(frames, f => Assert.Equal((300, 224), (f.Width, f.Height)));
        Assert.All(frames, f => Assert.Equal(300 * 224 * 3, f.Rgb.Length));

        var unscaled = await ReadAll(media.OddSize, maxShortSide: 1000);
        Assert.All(unscaled, f => Assert.Equal((320, 238), (f.Width, f.Height)));
    }

    [Fact]
    public async Task SolidColourComesOutAsThatColour()
    {
        var frames = await ReadAll(media.WithAudio, fps: 2);
        var (r, g, b) = TestMedia.WithAudioColour;
        foreach (var frame in frames)
        {
            var (meanR, meanG, meanB) = Mean(frame);
            // yuv420p with limited range rounds each channel by a few levels.
            Assert.InRange(meanR, r - 5, r + 5);
            Assert.InRange(meanG, g - 5, g + 5);
            Assert.InRange(meanB, b - 5, b + 5);
        }
    }

    [Fact]
    public async Task RotatedVideoComesOutUpright()
    {
        var frames = await ReadAll(media.Rotated);
        var frame = Assert.Single(frames);
        Assert.Equal((48, 64), (frame.Width, frame.Height));
        // Stored: red left, blue right. The display matrix turns it 90° counter-clockwise: blue on top.
        var top = frame.Pixel(24, 4);
        var bottom = frame.Pixel(24, 59);
        Assert.True(top.B > 200 && top.R < 40, $"top pixel {top}");
        Assert.True(bottom.R > 200 && bottom.B < 40, $"bottom pixel {bottom}");
    }

    [Fact]
    public async Task FrameIStandsForTheMiddleOfItsInterval()
    {
        // Red until 0.3 s, then green. Sampling at (i + 0.5) / fps: 1 fps looks at 0.5 s (green),
        // 2 fps at 0.25 s (red) and 0.75 s (green). Sampling at i / fps would see red at 0 s.
        var oneFps = await ReadAll(media.Segments, 1);
        Assert.Equal(2, oneFps.Count);
        Assert.True(IsGreen(oneFps[0]) && IsGreen(oneFps[1]));

        var fourFps = await ReadAll(media.Segments, 4);
        Assert.Equal(8, fourFps.Count);
        Assert.True(IsRed(fourFps[0]));   // 0.125 s
        Assert.True(IsGreen(fourFps[1])); // 0.375 s
        Assert.All(fourFps.Skip(1), f => Assert.True(IsGreen(f)));
    }

    [Fact]
    public async Task StoppingEarlyEndsDecodingAndTheReaderCanStartAgain()
    {
        var reader = await VideoFrameReader.OpenAsync(media.OddSize, new VideoFrameReaderOptions { Fps = 2 });
        await foreach (var frame in reader.ReadFramesAsync())
        {
            Assert.Equal(0, frame.Index);
            break;
        }
        int count = 0;
        await foreach (var _ in reader.ReadFramesAsync()) count++;
        Assert.Equal(7, count);
    }

    [Fact]
    public async Task CancellationStopsReading()
    {
        var reader = await VideoFrameReader.OpenAsync(media.OddSize, new VideoFrameReaderOptions { Fps = 2 });
        using var cancel = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var frame in reader.ReadFramesAsync(cancel.Token))
                if (frame.Index == 1) cancel.Cancel();
        });
    }

    [Theory]
    [InlineData(321, 239, 224, 300, 224)]
    [InlineData(239, 321, 224, 224, 300)]
    [InlineData(1920, 1080, 224, 398, 224)]
    [InlineData(64, 48, 224, 64, 48)]    // never scaled up
    [InlineData(65, 49, 224, 64, 48)]    // odd sides rounded down to even
    [InlineData(1, 1, 224, 2, 2)]        // at least 2
    public void OutputSizeKeepsAspectAndEvenSides(int width, int height, int maxShortSide, int expectedWidth, int expectedHeight) =>
        Assert.Equal((expectedWidth, expectedHeight), VideoFrameReader.OutputSize(width, height, maxShortSide));

    [Theory]
    [InlineData(0.4, 1, 1)]
    [InlineData(0, 1, 1)]
    [InlineData(3, 1, 3)]
    [InlineData(3.5, 1, 4)]
    [InlineData(3.5, 2, 7)]
    [InlineData(2.0000001, 1, 2)]   // within 1e-6 of a whole number of frames
    [InlineData(2.01, 1, 3)]
    [InlineData(2.834, 8, 23)]
    public void CountFramesRoundsUpWithAFloorOfOne(double seconds, double fps, int expected) =>
        Assert.Equal(expected, VideoFrameReader.CountFrames(seconds, fps));

    static (double R, double G, double B) Mean(VideoFrame frame)
    {
        var span = frame.Rgb.Span;
        double r = 0, g = 0, b = 0;
        for (int i = 0; i < span.Length; i += 3) { r += span[i]; g += span[i + 1]; b += span[i + 2]; }
        int n = span.Length / 3;
        return (r / n, g / n, b / n);
    }

    static bool IsRed(VideoFrame f) { var (r, g, b) = Mean(f); return r > 200 && g < 40 && b < 40; }
    static bool IsGreen(VideoFrame f) { var (r, g, b) = Mean(f); return g > 200 && r < 40 && b < 40; }
}
