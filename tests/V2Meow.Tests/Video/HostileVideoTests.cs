using System.Diagnostics;
using System.Text;
using V2Meow.Loaders.Video;
using V2Meow.Tests.Cli;

namespace V2Meow.Tests.Video;

/// <summary>
/// Videos a hostile user could hand over: names that are ffmpeg syntax, files that are not files, and
/// headers that lie about the length. Each is refused with one error line, or read as the file it is.
/// </summary>
[Collection(MediaCollection.Name)]
public class HostileVideoTests(TestMedia media)
{
    /// <summary>A guard against a hang (the failure these tests look for), not a timing.</summary>
    static readonly TimeSpan Guard = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task AQuoteInTheNameIsPartOfTheName()
    {
        using var dir = new TempDirectory();
        string video = dir.File("q\"uote.mp4");
        File.Copy(media.Short, video);
        var probe = await VideoProbe.ProbeAsync(video);
        Assert.InRange(probe.DurationSeconds, 0.39, 0.41);
    }

    [Fact]
    public async Task ANameThatLooksLikeMoreArgumentsProbesItself()
    {
        // FFMpegCore quoted the path into one command string: this name probed base.mp4 (0.4 s) instead.
        using var dir = new TempDirectory();
        File.Copy(media.Short, dir.File("base.mp4"));
        string video = dir.File("base.mp4\" -of \"json");
        File.Copy(media.WithAudio, video);
        var probe = await VideoProbe.ProbeAsync(video);
        Assert.InRange(probe.DurationSeconds, 1.99, 2.01);
        Assert.True(probe.HasAudio);
    }

    [Theory]
    [InlineData("concat:a.mp4|a.mp4")]
    [InlineData("subfile,,start,0,end,0,,:a.mp4")]
    public async Task AFileNamedLikeAProtocolIsReadAsThatFile(string name)
    {
        // Run from the folder holding a.mp4, as a user would: ffmpeg would have read a.mp4 through the protocol.
        using var dir = new TempDirectory();
        File.Copy(media.Short, dir.File("a.mp4"));
        await File.WriteAllTextAsync(dir.File(name), "not a video\n");
        var (code, _, error) = await CliProcess.RunAsync(dir.Path, "generate", name, "-o", "out.wav", "--device", "cpu");
        Assert.Equal(2, code);
        Assert.Contains("not a video file", error);
        Assert.False(File.Exists(dir.File("out.wav")));
    }

    [Fact]
    public async Task AFifoIsRefusedNotWaitedOn()
    {
        using var dir = new TempDirectory();
        string fifo = MakeFifo(dir, "pipe.mp4");
        var e = await Assert.ThrowsAsync<MediaException>(() => Task.Run(() => VideoProbe.ProbeAsync(fifo)).WaitAsync(Guard));
        Assert.Equal($"{fifo}: is a FIFO (named pipe), not a regular file", e.Message);
    }

    [Fact]
    public async Task AFifoAsFeaturesOrStyleIsRefused()
    {
        using var dir = new TempDirectory();
        string fifo = MakeFifo(dir, "builtin.npy");
        await ExpectOneErrorLine(["generate", media.Short, "--features", $"builtin={fifo}", "--device", "cpu"], "FIFO", dir);
        await ExpectOneErrorLine(["generate", media.Short, "--style-embedding", fifo, "--device", "cpu"], "FIFO", dir);
    }

    public static TheoryData<string, string> LyingDurationTags() => new()
    {
        { "999999999:59:59.00", "header is damaged" },
        { "100000:00:00.00000", "header is damaged" },
        { "00:00:00.000000001", "no usable duration" },
    };

    [Theory]
    [MemberData(nameof(LyingDurationTags))]
    public async Task AMatroskaDurationTagThatLiesIsRefused(string tag, string expected)
    {
        using var dir = new TempDirectory();
        string video = dir.File("patched.mkv");
        await TestMedia.Ffmpeg($"-f lavfi -i testsrc=size=64x48:rate=10:duration=2 -c:v libx264 -preset ultrafast \"{video}\"");
        byte[] bytes = await File.ReadAllBytesAsync(video);
        int at = bytes.AsSpan().IndexOf("00:00:02.000000000"u8);
        Assert.True(at >= 0, "the muxer wrote no DURATION tag to patch");
        Encoding.ASCII.GetBytes(tag).CopyTo(bytes, at);
        await File.WriteAllBytesAsync(video, bytes);
        await ExpectOneErrorLine(["generate", video, "--device", "cpu"], expected, dir);
    }

    [Theory]
    [InlineData("1:1000000", "more than the limit of 7200 s")]   // two frames of 1,000,000 s each
    [InlineData("1000000:1", "no usable duration")]              // two frames of a microsecond each
    public async Task AY4mWhoseFrameRateMakesNoSenseIsRefused(string rate, string expected)
    {
        using var dir = new TempDirectory();
        string video = dir.File("tiny.y4m");
        var y4m = new MemoryStream();
        y4m.Write(Encoding.ASCII.GetBytes($"YUV4MPEG2 W2 H2 F{rate} Ip A1:1 C420jpeg\n"));
        for (int i = 0; i < 2; i++)
        {
            y4m.Write("FRAME\n"u8);
            y4m.Write(new byte[6]); // 2×2 luma, one sample each of the two chroma planes
        }
        await File.WriteAllBytesAsync(video, y4m.ToArray());
        await ExpectOneErrorLine(["generate", video, "--device", "cpu"], expected, dir);
    }

    [Fact]
    public async Task AStillImageRenamedAsAVideoIsRefused()
    {
        using var dir = new TempDirectory();
        string png = dir.File("still.png"), video = dir.File("still.mp4");
        await TestMedia.Ffmpeg($"-f lavfi -i color=c=red:size=16x16 -frames:v 1 \"{png}\"");
        File.Move(png, video);
        await ExpectOneErrorLine(["generate", video, "--device", "cpu"], "no usable duration", dir);
    }

    [Fact]
    public async Task TheDurationLimitIsTheCallersToRaise()
    {
        using var dir = new TempDirectory();
        await ExpectOneErrorLine(["generate", media.WithAudio, "--max-seconds", "1", "--device", "cpu"], "more than the limit of 1 s", dir);
    }

    internal static string MakeFifo(TempDirectory dir, string name)
    {
        string path = dir.File(name);
        using var mkfifo = Process.Start("mkfifo", [path])!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }

    /// <summary>The CLI in-process: exit 2, one "error:" line containing <paramref name="expected"/>, no stack trace, nothing written.</summary>
    internal static async Task ExpectOneErrorLine(string[] args, string expected, TempDirectory dir)
    {
        string output = dir.File("music-out.wav");
        var (code, _, error) = await Task.Run(() => CliRunner.RunAsync([.. args, "-o", output])).WaitAsync(Guard);
        Assert.True(code == 2, error);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToList();
        Assert.Single(lines);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", error);
        Assert.False(File.Exists(output));
    }
}
