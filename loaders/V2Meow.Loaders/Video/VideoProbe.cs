using System.Globalization;
using FFMpegCore;
using FFMpegCore.Exceptions;

namespace V2Meow.Loaders.Video;

/// <summary>
/// What ffprobe (through FFMpegCore) says about a media file: the first real video stream (cover art is
/// not video), whether there is audio, and the sizes the decoder will produce once it has rotated the
/// frames for display. An audio-only file probes fine with <see cref="HasVideo"/> false;
/// <see cref="RequireVideo"/> turns that into the error.
/// </summary>
public sealed record VideoProbe
{
    /// <summary>The file that was probed.</summary>
    public required string Path { get; init; }

    /// <summary>ffprobe's container format name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "matroska,webm".</summary>
    public required string FormatName { get; init; }

    /// <summary>
    /// Length in seconds: the video stream's duration where the container records one, else the
    /// container's (Matroska keeps it in a DURATION tag). 0 for a single image.
    /// </summary>
    public required double DurationSeconds { get; init; }

    /// <summary><see cref="DurationSeconds"/> as a TimeSpan.</summary>
    public TimeSpan Duration => TimeSpan.FromSeconds(DurationSeconds);

    /// <summary>Whether the file has a real video stream (cover art does not count).</summary>
    public required bool HasVideo { get; init; }
    /// <summary>Whether the file has an audio stream.</summary>
    public required bool HasAudio { get; init; }

    /// <summary>Index of the video stream in the file (for ffmpeg's <c>-map 0:N</c>); -1 without video.</summary>
    public required int VideoStreamIndex { get; init; }

    /// <summary>ffprobe's codec name of the video stream, e.g. "h264"; empty without video.</summary>
    public string VideoCodec { get; init; } = "";

    /// <summary>Stored picture size, before sample aspect ratio and rotation.</summary>
    public required int Width { get; init; }
    /// <summary>Stored picture height; see <see cref="Width"/>.</summary>
    public required int Height { get; init; }

    /// <summary>
    /// Counter-clockwise degrees (0, 90, 180 or 270) the display matrix turns the stored picture, as
    /// ffprobe reports it. ffmpeg applies it when decoding, so decoded frames are upright.
    /// </summary>
    public required int Rotation { get; init; }

    /// <summary>Picture size as shown: sample aspect ratio applied, then width and height swapped for 90/270.</summary>
    public required int DisplayWidth { get; init; }
    /// <summary>Shown picture height; see <see cref="DisplayWidth"/>.</summary>
    public required int DisplayHeight { get; init; }

    /// <summary>Average frames per second over the stream (variable-frame-rate files included); 0 without video.</summary>
    public required double FrameRate { get; init; }

    /// <summary>Throws the <see cref="MediaException"/> for a file without a video stream.</summary>
    public VideoProbe RequireVideo()
    {
        if (!HasVideo)
            throw new MediaException(Path, HasAudio ? "has no video stream (audio only)" : "has no video stream");
        if (DisplayWidth < 1 || DisplayHeight < 1)
            throw new MediaException(Path, $"video stream has no usable picture size ({Width}x{Height})");
        return this;
    }

    /// <summary>
    /// Probes <paramref name="path"/>. Missing, empty, unreadable, truncated and non-media files raise a
    /// <see cref="MediaException"/> naming the file; a missing ffprobe raises one that says to install ffmpeg.
    /// </summary>
    public static async Task<VideoProbe> ProbeAsync(string path, FFmpegBinaries? binaries = null,
        CancellationToken cancellationToken = default)
    {
        CheckReadableFile(path);
        var options = (binaries ?? FFmpegBinaries.Default).ProbeOptions(path);

        IMediaAnalysis analysis;
        try
        {
            analysis = await FFProbe.AnalyseAsync(path, options, null, cancellationToken).ConfigureAwait(false);
        }
        catch (FFProbeProcessException e)
        {
            throw new MediaException(path,
                $"not a video file, or a truncated or damaged one (ffprobe: {FFmpegProcess.Summarise(e.StandardError, path, 3)})");
        }
        catch (FFMpegException e)
        {
            throw new MediaException(path, $"ffprobe could not describe the file ({e.Message})");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new MediaException(path, $"cannot run ffprobe ({e.Message}); install ffmpeg (e.g. 'apt-get install ffmpeg') and try again", e);
        }
        catch (System.Text.Json.JsonException)
        {
            throw new MediaException(path, "ffprobe could not describe the file (its output was not valid JSON)");
        }
        cancellationToken.ThrowIfCancellationRequested();
        return FromAnalysis(path, analysis);
    }

    /// <summary>The file-level checks done before ffprobe runs: present, a file, readable, not empty.</summary>
    internal static void CheckReadableFile(string path)
    {
        if (Directory.Exists(path)) throw new MediaException(path, "is a directory, not a media file");
        var info = new FileInfo(path);
        if (!info.Exists) throw new MediaException(path, "file not found");
        try
        {
            using var _ = info.OpenRead();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MediaException(path, $"cannot be read: {e.Message}", e);
        }
        if (info.Length == 0) throw new MediaException(path, "file is empty (0 bytes)");
    }

    static VideoProbe FromAnalysis(string path, IMediaAnalysis analysis)
    {
        // Cover art (an MP3's or M4A's picture) is a one-frame "video" stream flagged attached_pic.
        var video = analysis.VideoStreams
            .Where(s => s.Disposition is null || !s.Disposition.TryGetValue("attached_pic", out bool pic) || !pic)
            .OrderBy(s => s.Index)
            .FirstOrDefault();
        bool hasAudio = analysis.AudioStreams.Count > 0;
        double containerSeconds = analysis.Format.Duration.TotalSeconds;

        if (video is null)
        {
            return new VideoProbe
            {
                Path = path, FormatName = analysis.Format.FormatName ?? "", DurationSeconds = Math.Max(0, containerSeconds),
                HasVideo = false, HasAudio = hasAudio, VideoStreamIndex = -1, Width = 0, Height = 0, Rotation = 0,
                DisplayWidth = 0, DisplayHeight = 0, FrameRate = 0,
            };
        }

        double seconds = video.Duration.TotalSeconds;
        if (!(seconds > 0)) seconds = TagDurationSeconds(video.Tags);
        if (!(seconds > 0)) seconds = containerSeconds;
        if (!(seconds > 0) || double.IsNaN(seconds)) seconds = 0;

        int width = video.Width ?? 0, height = video.Height ?? 0;
        int rotation = RotationOf(video);
        int displayWidth = width, displayHeight = height;
        var (sarNum, sarDen) = video.SampleAspectRatio;
        if (sarNum > 0 && sarDen > 0 && sarNum != sarDen)
            displayWidth = Math.Max(1, (int)Math.Round(width * (double)sarNum / sarDen));
        if (rotation is 90 or 270) (displayWidth, displayHeight) = (displayHeight, displayWidth);

        double frameRate = video.AverageFrameRate;
        if (!double.IsFinite(frameRate) || frameRate <= 0) frameRate = video.RealFrameRate;
        if (!double.IsFinite(frameRate) || frameRate <= 0) frameRate = 0;

        return new VideoProbe
        {
            Path = path,
            FormatName = analysis.Format.FormatName ?? "",
            DurationSeconds = seconds,
            HasVideo = true,
            HasAudio = hasAudio,
            VideoStreamIndex = video.Index,
            VideoCodec = video.CodecName ?? "",
            Width = width,
            Height = height,
            Rotation = rotation,
            DisplayWidth = displayWidth,
            DisplayHeight = displayHeight,
            FrameRate = frameRate,
        };
    }

    /// <summary>
    /// The display matrix rotation ffprobe reports in the stream's side data (counter-clockwise degrees,
    /// possibly negative), else the legacy clockwise "rotate" tag, folded to 0/90/180/270.
    /// </summary>
    static int RotationOf(VideoStream video)
    {
        double? degrees = null;
        if (video.SideData is not null)
        {
            foreach (var entry in video.SideData)
            {
                if (entry.TryGetValue("rotation", out var value) && value is not null && value.TryGetValue(out double d))
                {
                    degrees = d;
                    break;
                }
            }
        }
        if (degrees is null && video.Tags is not null && video.Tags.TryGetValue("rotate", out string? tag) &&
            double.TryParse(tag, NumberStyles.Float, CultureInfo.InvariantCulture, out double clockwise))
            degrees = -clockwise;
        if (degrees is null) return 0;
        int quarter = (int)Math.Round(degrees.Value / 90.0);
        return ((quarter % 4) + 4) % 4 * 90;
    }

    /// <summary>Matroska's per-stream "DURATION" tag, "HH:MM:SS.nnnnnnnnn"; 0 when absent or unreadable.</summary>
    static double TagDurationSeconds(IReadOnlyDictionary<string, string>? tags)
    {
        if (tags is null) return 0;
        string? text = tags.FirstOrDefault(t => string.Equals(t.Key, "DURATION", StringComparison.OrdinalIgnoreCase)).Value;
        if (string.IsNullOrEmpty(text)) return 0;
        string[] parts = text.Split(':');
        if (parts.Length != 3) return 0;
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int hours) ||
            !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int minutes) ||
            !double.TryParse(parts[2], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double secs))
            return 0;
        return hours * 3600.0 + minutes * 60.0 + secs;
    }
}
