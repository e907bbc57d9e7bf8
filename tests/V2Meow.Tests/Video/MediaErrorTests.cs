using V2Meow.Loaders.Video;

namespace V2Meow.Tests.Video;

/// <summary>Every unusable input is one <see cref="MediaException"/> whose one-line message names the file and the problem.</summary>
[Collection(MediaCollection.Name)]
public class MediaErrorTests(TestMedia media)
{
    public enum Input { Missing, Empty, NotAVideo, Truncated, AudioOnly, Directory }

    string PathOf(Input input) => input switch
    {
        Input.Missing => Path.Combine(media.Folder, "no-such-video.mp4"),
        Input.Empty => media.Empty,
        Input.NotAVideo => media.NotAVideo,
        Input.Truncated => media.Truncated,
        Input.AudioOnly => media.AudioOnly,
        _ => media.Folder,
    };

    [Theory]
    [InlineData(Input.Missing, "file not found")]
    [InlineData(Input.Empty, "file is empty (0 bytes)")]
    [InlineData(Input.NotAVideo, "not a video file, or a truncated or damaged one (ffprobe: ")]
    [InlineData(Input.Truncated, "not a video file, or a truncated or damaged one (ffprobe: moov atom not found")]
    [InlineData(Input.AudioOnly, "has no video stream (audio only)")]
    [InlineData(Input.Directory, "is a directory, not a media file")]
    public async Task OpeningFailsWithOneLineNamingTheFile(Input input, string problem)
    {
        string path = PathOf(input);
        var e = await Assert.ThrowsAsync<MediaException>(() => VideoFrameReader.OpenAsync(path));
        Assert.StartsWith($"{path}: {problem}", e.Message);
        Assert.Equal(path, e.FilePath);
        AssertNoNoise(e);
    }

    [Fact]
    public async Task DecodingATruncatedFileWhoseIndexSurvivedFails()
    {
        // The index says 3.5 s; only the first third of the data is there.
        var reader = await VideoFrameReader.OpenAsync(media.TruncatedIndexFirst);
        Assert.Equal(4, reader.FrameCount);
        var e = await Assert.ThrowsAsync<MediaException>(async () =>
        {
            await foreach (var _ in reader.ReadFramesAsync()) { }
        });
        Assert.StartsWith($"{media.TruncatedIndexFirst}: decoding stopped at ", e.Message);
        Assert.Contains("truncated or damaged", e.Message);
        AssertNoNoise(e);
    }

    [Fact]
    public async Task MissingFFmpegSaysToInstallIt()
    {
        using var empty = new TempDirectory();
        var binaries = new FFmpegBinaries(empty.Path);
        var e = await Assert.ThrowsAsync<MediaException>(() =>
            VideoFrameReader.OpenAsync(media.OddSize, new VideoFrameReaderOptions { Binaries = binaries }));
        Assert.StartsWith($"{media.OddSize}: ffprobe was not found in '{empty.Path}'; install ffmpeg", e.Message);
        AssertNoNoise(e);
    }

    static void AssertNoNoise(MediaException e)
    {
        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain("FFMpegCore", e.Message);
        Assert.DoesNotContain("   at ", e.Message);      // stack frames
        Assert.DoesNotContain(" @ 0x", e.Message);       // ffmpeg's "[mov,mp4 @ 0x55…]" context prefixes
    }
}
