using V2Meow.Loaders.Audio;
using V2Meow.Loaders.Video;
using V2Meow.Runtime.Generation;

namespace V2Meow.Tests.Video;

/// <summary>Writes that go wrong without ffmpeg failing: nothing half-written is ever renamed into place.</summary>
[Collection(MediaCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // fake ffmpeg scripts, FIFOs, signals
public class MuxerFaultTests(TestMedia media)
{
    public static TheoryData<string, string> SilentFailures() => new()
    {
        // A full disk: ffmpeg says so on stderr, yet exits 0.
        { "echo 'av_interleaved_write_frame(): No space left on device' >&2", "No space left on device" },
        // Nothing said at all, but what is there is not the video.
        { ":", "is the disk full?" },
    };

    [Theory]
    [MemberData(nameof(SilentFailures))]
    public async Task WhatFfmpegWroteIsCheckedBeforeTheRename(string complaint, string expected)
    {
        using var fake = new TempDirectory();
        File.WriteAllText(fake.File("ffmpeg"), $"""
            #!/bin/sh
            for last; do :; done
            head -c 1000 /dev/zero > "${"{"}last#file:{"}"}"
            {complaint}
            exit 0
            """.Replace("\r", ""));
        File.SetUnixFileMode(fake.File("ffmpeg"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.CreateSymbolicLink(fake.File("ffprobe"),
            (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "ffprobe")).First(File.Exists));

        using var dir = new TempDirectory();
        string output = dir.File("out.mp4");
        var e = await Assert.ThrowsAsync<MediaException>(() => new Muxer(new FFmpegBinaries(fake.Path)).MuxAsync(media.WithAudio, media.Wav, output));
        Assert.Contains(expected, e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task AWaveformThatIsNotFiniteIsNotWrittenAsSilence()
    {
        using var dir = new TempDirectory();
        var samples = new float[1600];
        samples[123] = float.NaN;
        var result = new GenerationResult([samples], 16000, 0.1, [[]], []);
        string output = dir.File("out.wav");
        var e = await Assert.ThrowsAsync<MediaException>(() => MusicWriter.WriteAsync(result, 0, output, media.Short));
        Assert.Equal($"{output}: candidate 0: codec.waveform sample 123 is NaN; the model's output is not finite, nothing was written", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }
}
