using System.Globalization;
using System.Runtime.CompilerServices;

namespace V2Meow.Loaders.Video;

/// <summary>How a <see cref="VideoFrameReader"/> samples and sizes frames.</summary>
public sealed record VideoFrameReaderOptions
{
    /// <summary>Frames per second to sample; SPEC §3.2 <c>rates.video_fps</c> (1 by default).</summary>
    public double Fps { get; init; } = 1;

    /// <summary>Frames are scaled down (never up) so the shorter side is at most this many pixels.</summary>
    public int MaxShortSide { get; init; } = 224;

    /// <summary>Where ffmpeg and ffprobe are; null for <see cref="FFmpegBinaries.Default"/>.</summary>
    public FFmpegBinaries? Binaries { get; init; }
}

/// <summary>
/// Decodes a video into RGB24 frames at a fixed rate, streaming: one ffmpeg process writes raw frames to a
/// pipe and the reader hands them out one at a time, so memory does not grow with the video's length.
/// </summary>
/// <remarks>
/// <para>Sampling rule. Frame <c>i</c> stands for time <c>(i + 0.5) / fps</c>, the middle of its interval
/// <c>[i / fps, (i + 1) / fps)</c>: it is the last decoded frame whose timestamp is before that time
/// (ffmpeg's <c>fps</c> filter, rounding to nearest, starting at 0). Variable frame rates need nothing
/// special: whichever frame is on screen at that moment is taken.</para>
/// <para>Count. <see cref="FrameCount"/> = max(1, ⌈duration × fps⌉) with the duration of
/// <see cref="VideoProbe.DurationSeconds"/>: a 0.4 s clip gives 1 frame at 1 fps, 3.5 s gives 4 at 1 fps
/// and 7 at 2 fps. If ffmpeg ends up to one frame short (its end-of-stream rounding), the last frame is
/// repeated; frames past the count are dropped. A shortfall of more than one frame and more than half a
/// second means the file is truncated or damaged, a <see cref="MediaException"/>.</para>
/// <para>Size. Frames are upright (ffmpeg applies the display matrix), with the sample aspect ratio
/// applied, scaled with area averaging so the shorter side is at most
/// <see cref="VideoFrameReaderOptions.MaxShortSide"/>, aspect kept, each side rounded down to an even
/// number (odd sizes such as 321×239 become 320×238).</para>
/// </remarks>
public sealed class VideoFrameReader
{
    readonly FFmpegBinaries _binaries;

    /// <summary>What ffprobe reported about the file.</summary>
    public VideoProbe Probe { get; }
    /// <summary>Frames sampled per second.</summary>
    public double Fps { get; }

    /// <summary>How many frames <see cref="ReadFramesAsync"/> yields: max(1, ⌈duration × fps⌉).</summary>
    public int FrameCount { get; }

    /// <summary>Width of every frame handed out: upright, scaled, even.</summary>
    public int FrameWidth { get; }
    /// <summary>Height of every frame handed out: upright, scaled, even.</summary>
    public int FrameHeight { get; }

    VideoFrameReader(VideoProbe probe, double fps, int frameWidth, int frameHeight, FFmpegBinaries binaries)
    {
        Probe = probe;
        Fps = fps;
        FrameCount = CountFrames(probe.DurationSeconds, fps);
        FrameWidth = frameWidth;
        FrameHeight = frameHeight;
        _binaries = binaries;
    }

    /// <summary>Probes <paramref name="path"/> and checks it has a video stream; decoding starts with <see cref="ReadFramesAsync"/>.</summary>
    public static async Task<VideoFrameReader> OpenAsync(string path, VideoFrameReaderOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new VideoFrameReaderOptions();
        if (!double.IsFinite(options.Fps) || options.Fps <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.Fps, "Fps must be a positive number");
        if (options.MaxShortSide < 2)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxShortSide, "MaxShortSide must be at least 2");

        var binaries = options.Binaries ?? FFmpegBinaries.Default;
        var probe = await VideoProbe.ProbeAsync(path, binaries, cancellationToken).ConfigureAwait(false);
        return Open(probe, options);
    }

    /// <summary>
    /// A reader for a file already probed (<see cref="VideoProbe.ProbeAsync(string, FFmpegBinaries?, CancellationToken)"/>), which saves starting ffprobe
    /// a second time; checks it has a video stream.
    /// </summary>
    public static VideoFrameReader Open(VideoProbe probe, VideoFrameReaderOptions? options = null)
    {
        options ??= new VideoFrameReaderOptions();
        if (!double.IsFinite(options.Fps) || options.Fps <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.Fps, "Fps must be a positive number");
        if (options.MaxShortSide < 2)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxShortSide, "MaxShortSide must be at least 2");
        probe.RequireVideo();
        var (width, height) = OutputSize(probe.DisplayWidth, probe.DisplayHeight, options.MaxShortSide);
        return new VideoFrameReader(probe, options.Fps, width, height, options.Binaries ?? FFmpegBinaries.Default);
    }

    /// <summary>max(1, ⌈seconds × fps⌉); a product within 1e-6 above a whole number counts as that number.</summary>
    public static int CountFrames(double seconds, double fps)
    {
        double exact = Math.Max(0, seconds) * fps;
        double count = Math.Max(1, Math.Ceiling(exact - 1e-6));
        // A cast would wrap a count past int.MaxValue into a plausible (or negative) number of frames.
        if (!(count <= int.MaxValue))
            throw new ArgumentOutOfRangeException(nameof(seconds), seconds, $"{seconds} s at {fps} fps is more frames than can be counted");
        return (int)count;
    }

    /// <summary>
    /// The decoded size for a picture shown at <paramref name="width"/>×<paramref name="height"/>: scaled down
    /// so the shorter side is at most <paramref name="maxShortSide"/>, each side rounded down to even (at least 2).
    /// </summary>
    public static (int Width, int Height) OutputSize(int width, int height, int maxShortSide)
    {
        int shortSide = Math.Min(width, height);
        double scale = shortSide > maxShortSide ? (double)maxShortSide / shortSide : 1.0;
        return (Even(width * scale), Even(height * scale));

        static int Even(double size) => Math.Max(2, 2 * (int)Math.Floor(size / 2 + 1e-9));
    }

    /// <summary>
    /// Decodes and yields exactly <see cref="FrameCount"/> frames in order. Stopping early, or cancelling,
    /// ends the ffmpeg process. May be enumerated again (each enumeration decodes from the start).
    /// </summary>
    public async IAsyncEnumerable<VideoFrame> ReadFramesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string path = Probe.Path;
        string input = VideoProbe.FileArgument(path);
        int frameBytes = checked(FrameWidth * FrameHeight * 3);
        string fps = Fps.ToString("R", CultureInfo.InvariantCulture);
        string[] arguments =
        [
            "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error",
            "-i", input,
            "-map", $"0:{Probe.VideoStreamIndex}", "-an", "-sn", "-dn",
            // fps: round=near takes, for output i, the last frame before (i + 0.5) / fps; eof_action=pass
            // emits the final frame of clips shorter than one output interval instead of nothing.
            "-vf", $"fps=fps={fps}:start_time=0:round=near:eof_action=pass," +
                   $"scale={FrameWidth}:{FrameHeight}:flags=area,format=rgb24",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
        ];

        await using var ffmpeg = FFmpegProcess.Start(_binaries.FFmpegPath(path), arguments, readOutput: true, path);
        var output = ffmpeg.Output;
        VideoFrame? last = null;
        int decoded = 0;
        while (decoded < FrameCount)
        {
            var buffer = new byte[frameBytes];
            int read = await output.ReadAtLeastAsync(buffer, frameBytes, throwOnEndOfStream: false, cancellationToken)
                .ConfigureAwait(false);
            if (read < frameBytes) break; // end of stream; a partial frame is a truncated decode, dropped
            last = new VideoFrame(decoded, (decoded + 0.5) / Fps, FrameWidth, FrameHeight, buffer);
            decoded++;
            yield return last;
        }

        if (decoded < FrameCount)
        {
            int exitCode = await ffmpeg.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (exitCode != 0 || last is null)
                throw new MediaException(path, $"decoding failed after {decoded} of {FrameCount} frames " +
                    $"(ffmpeg: {ffmpeg.ErrorSummary(input)})");
            int missing = FrameCount - decoded;
            if (missing > 1 && missing / Fps > 0.5)
                throw new MediaException(path, string.Create(CultureInfo.InvariantCulture,
                    $"decoding stopped at {decoded / Fps:0.##} s of {Probe.DurationSeconds:0.##} s; the file is " +
                    $"truncated or damaged (ffmpeg: {ffmpeg.ErrorSummary(input)})"));
            for (int i = decoded; i < FrameCount; i++)
                yield return new VideoFrame(i, (i + 0.5) / Fps, FrameWidth, FrameHeight, last.Rgb);
        }
        // Leaving the using kills ffmpeg if it still has frames to give (count reached early).
    }
}
