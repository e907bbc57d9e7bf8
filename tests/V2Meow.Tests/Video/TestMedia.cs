using System.Diagnostics;

namespace V2Meow.Tests.Video;

/// <summary>
/// Small media files made with ffmpeg's lavfi sources once per test run, in a temp folder deleted at the
/// end; nothing here is committed. Sizes are tiny and encodes use x264's ultrafast preset, so the set
/// takes about a second on two cores.
/// </summary>
public sealed class TestMedia : IAsyncLifetime
{
    readonly TempDirectory _dir = new();

    public string Folder => _dir.Path;

    /// <summary>testsrc, 321×239 (odd), 10 fps, 3.5 s, Matroska (duration only in a tag), no audio.</summary>
    public string OddSize => _dir.File("odd-321x239-3.5s.mkv");

    /// <summary>64×48 stored, red left half and blue right half, display matrix rotation 90° (shown 48×64).</summary>
    public string Rotated => _dir.File("rotated-90.mp4");

    /// <summary>Solid 0x3060C0 (R 48, G 96, B 192), 160×120, 10 fps, 2 s, with a 440 Hz AAC track.</summary>
    public string WithAudio => _dir.File("blue-with-audio.mp4");
    public static readonly (int R, int G, int B) WithAudioColour = (0x30, 0x60, 0xC0);

    /// <summary>Solid red, 64×48, 10 fps, 0.4 s.</summary>
    public string Short => _dir.File("short-0.4s.mp4");

    /// <summary>testsrc at 30 fps with frames dropped after the first 20 (timestamps kept): variable frame rate, 2.83 s.</summary>
    public string VariableFrameRate => _dir.File("vfr.mp4");

    /// <summary>Red for 0.3 s then green to 2 s, 64×48, 10 fps: tells the sampling instants apart.</summary>
    public string Segments => _dir.File("red-0.3s-then-green.mp4");

    /// <summary>FFV1 in Matroska, 1 s: a codec the mp4 muxer refuses.</summary>
    public string Ffv1 => _dir.File("ffv1.mkv");

    /// <summary>1 s of AAC, no video.</summary>
    public string AudioOnly => _dir.File("audio-only.m4a");

    /// <summary>2.5 s of 16 kHz mono 16-bit PCM.</summary>
    public string Wav => _dir.File("music.wav");
    public const double WavSeconds = 2.5;
    public const int WavSampleRate = 16000;

    /// <summary>The first half of an mp4 whose index (moov) is at the end: ffprobe cannot read it.</summary>
    public string Truncated => _dir.File("truncated.mp4");

    /// <summary>The first third of a 3.5 s mp4 with its index first: probes fine, decoding stops early.</summary>
    public string TruncatedIndexFirst => _dir.File("truncated-faststart.mp4");

    public string NotAVideo => _dir.File("notes.mp4");
    public string Empty => _dir.File("empty.mp4");

    public async Task InitializeAsync()
    {
        const string x264 = "-c:v libx264 -preset ultrafast -pix_fmt yuv420p";
        await Task.WhenAll(
            Ffmpeg($"-f lavfi -i testsrc=size=321x239:rate=10:duration=3.5 -c:v libx264 -preset ultrafast -pix_fmt yuv444p \"{OddSize}\""),
            Ffmpeg($"-f lavfi -i color=c=0x3060C0:size=160x120:rate=10:duration=2 -f lavfi -i sine=frequency=440:duration=2 " +
                   $"{x264} -c:a aac -shortest \"{WithAudio}\""),
            Ffmpeg($"-f lavfi -i color=c=red:size=64x48:rate=10:duration=0.4 {x264} \"{Short}\""),
            Ffmpeg($"-f lavfi -i testsrc=size=160x120:rate=30:duration=3 -vf \"select='lt(n\\,20)+not(mod(n\\,7))'\" " +
                   $"-vsync vfr {x264} \"{VariableFrameRate}\""),
            Ffmpeg($"-f lavfi -i \"color=c=red:size=64x48:rate=10:duration=0.3[a];color=c=lime:size=64x48:rate=10:duration=1.7[b];" +
                   $"[a][b]concat=n=2:v=1\" {x264} \"{Segments}\""),
            Ffmpeg($"-f lavfi -i testsrc=size=64x48:rate=10:duration=1 -c:v ffv1 \"{Ffv1}\""),
            Ffmpeg($"-f lavfi -i sine=frequency=330:duration=1 -c:a aac \"{AudioOnly}\""),
            Ffmpeg($"-f lavfi -i sine=frequency=220:sample_rate={WavSampleRate}:duration={WavSeconds} -ac 1 -c:a pcm_s16le \"{Wav}\""),
            RotatedAsync(),
            TruncatedAsync(),
            File.WriteAllTextAsync(NotAVideo, "These are notes, not a video.\n"),
            File.WriteAllBytesAsync(Empty, []));
    }

    async Task RotatedAsync()
    {
        string upright = _dir.File("upright.mp4");
        await Ffmpeg($"-f lavfi -i \"color=c=red:size=32x48:rate=10:duration=1[a];color=c=blue:size=32x48:rate=10:duration=1[b];" +
                     $"[a][b]hstack\" -c:v libx264 -preset ultrafast -pix_fmt yuv420p \"{upright}\"");
        // A stream copy with the rotate tag makes ffmpeg's mp4 muxer write a display matrix.
        await Ffmpeg($"-i \"{upright}\" -c copy -metadata:s:v:0 rotate=90 \"{Rotated}\"");
    }

    async Task TruncatedAsync()
    {
        string whole = _dir.File("whole.mp4"), indexFirst = _dir.File("whole-faststart.mp4");
        await Ffmpeg($"-f lavfi -i testsrc=size=160x120:rate=10:duration=3.5 -c:v libx264 -preset ultrafast -pix_fmt yuv420p \"{whole}\"");
        await Ffmpeg($"-i \"{whole}\" -c copy -movflags +faststart \"{indexFirst}\"");
        byte[] bytes = await File.ReadAllBytesAsync(whole);
        await File.WriteAllBytesAsync(Truncated, bytes[..(bytes.Length / 2)]);
        bytes = await File.ReadAllBytesAsync(indexFirst);
        await File.WriteAllBytesAsync(TruncatedIndexFirst, bytes[..(bytes.Length / 3)]);
    }

    /// <summary>Runs ffmpeg with <paramref name="arguments"/> (shell-style quoting), failing the fixture on error.</summary>
    public static async Task Ffmpeg(string arguments)
    {
        var info = new ProcessStartInfo("ffmpeg", "-nostdin -hide_banner -loglevel error -y " + arguments)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"ffmpeg {arguments} failed: {await stderr}");
        await stdout;
    }

    /// <summary>ffprobe's JSON for <paramref name="entries"/>, e.g. "stream=codec_type:packet=pts_time".</summary>
    public static async Task<string> FfprobeJson(string path, string entries)
    {
        var info = new ProcessStartInfo("ffprobe", $"-v error -show_entries {entries} -of json \"{path}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"ffprobe {path} failed: {await stderr}");
        return output;
    }

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class MediaCollection : ICollectionFixture<TestMedia>
{
    public const string Name = "media";
}
