using V2Meow.Loaders.Video;

namespace V2Meow.Tests.Video;

[Collection(MediaCollection.Name)]
public class VideoProbeTests(TestMedia media)
{
    [Fact]
    public async Task OddSizedMatroskaReportsSizeRateAndTaggedDuration()
    {
        var probe = await VideoProbe.ProbeAsync(media.OddSize);
        Assert.True(probe.HasVideo);
        Assert.False(probe.HasAudio);
        Assert.Equal((321, 239), (probe.Width, probe.Height));
        Assert.Equal((321, 239), (probe.DisplayWidth, probe.DisplayHeight));
        Assert.Equal(0, probe.Rotation);
        Assert.Equal(10, probe.FrameRate, 3);
        // Matroska keeps the stream length in a DURATION tag; 35 frames of 0.1 s.
        Assert.InRange(probe.DurationSeconds, 3.49, 3.51);
        Assert.Equal("h264", probe.VideoCodec);
    }

    [Fact]
    public async Task RotationSwapsTheDisplaySize()
    {
        var probe = await VideoProbe.ProbeAsync(media.Rotated);
        Assert.Equal((64, 48), (probe.Width, probe.Height));
        Assert.Equal(90, probe.Rotation);
        Assert.Equal((48, 64), (probe.DisplayWidth, probe.DisplayHeight));
    }

    [Fact]
    public async Task ReportsAnAudioTrack()
    {
        var probe = await VideoProbe.ProbeAsync(media.WithAudio);
        Assert.True(probe.HasVideo);
        Assert.True(probe.HasAudio);
        Assert.InRange(probe.DurationSeconds, 1.99, 2.01);
    }

    [Fact]
    public async Task VariableFrameRateAveragesBelowTheNominalRate()
    {
        var probe = await VideoProbe.ProbeAsync(media.VariableFrameRate);
        // 30 frames over 2.83 s: 20 at 30 fps, then one in seven.
        Assert.InRange(probe.FrameRate, 9, 12);
        Assert.InRange(probe.DurationSeconds, 2.8, 2.9);
    }

    [Fact]
    public async Task ShortClipKeepsItsDuration()
    {
        var probe = await VideoProbe.ProbeAsync(media.Short);
        Assert.InRange(probe.DurationSeconds, 0.39, 0.41);
    }

    [Fact]
    public async Task AudioOnlyProbesWithoutVideoAndRequireVideoNamesTheProblem()
    {
        var probe = await VideoProbe.ProbeAsync(media.AudioOnly);
        Assert.False(probe.HasVideo);
        Assert.True(probe.HasAudio);
        Assert.Equal(-1, probe.VideoStreamIndex);
        var e = Assert.Throws<MediaException>(() => probe.RequireVideo());
        Assert.Equal($"{media.AudioOnly}: has no video stream (audio only)", e.Message);
    }
}
