using System.Globalization;
using System.Text.Json;
using V2Meow.Loaders.Files;

namespace V2Meow.Loaders.Video;

/// <summary>
/// What ffprobe says about a media file: the first real video stream (cover art is
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

    /// <summary><see cref="DurationSeconds"/> as a TimeSpan (TimeSpan.MaxValue past its range).</summary>
    public TimeSpan Duration => DurationSeconds < TimeSpan.MaxValue.TotalSeconds ? TimeSpan.FromSeconds(DurationSeconds) : TimeSpan.MaxValue;

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
    /// Longest video accepted unless the caller says otherwise: two hours. A damaged or hostile header can
    /// claim any length (a DURATION tag of 999999999:59:59, a y4m at 1/1000000 fps), and the music, the
    /// token sequences and the decode all grow with it; <see cref="RequireDuration"/> enforces it.
    /// </summary>
    public const double DefaultMaxDurationSeconds = 7200;

    /// <summary>
    /// Shortest video with a usable duration: 10 ms. A still image (a PNG renamed .mp4) or two frames at
    /// 1,000,000 fps has none, and would give a WAV of a few samples.
    /// </summary>
    public const double MinDurationSeconds = 0.01;

    /// <summary>ffprobe's JSON for one file is a few kilobytes; more than this is not a media file we can use.</summary>
    const int MaxProbeOutputBytes = 16 << 20;

    /// <summary>
    /// Throws the <see cref="MediaException"/> for a video without a usable duration: none, under
    /// <see cref="MinDurationSeconds"/>, or over <paramref name="maxSeconds"/>.
    /// </summary>
    public VideoProbe RequireDuration(double maxSeconds = DefaultMaxDurationSeconds)
    {
        if (!(maxSeconds >= MinDurationSeconds) || !double.IsFinite(maxSeconds))
            throw new ArgumentOutOfRangeException(nameof(maxSeconds), maxSeconds, $"a finite number of seconds >= {MinDurationSeconds}");
        if (!(DurationSeconds >= MinDurationSeconds))
            throw new MediaException(Path, string.Create(CultureInfo.InvariantCulture,
                $"has no usable duration ({DurationSeconds:0.######} s; a still image, or a damaged header?); expected at least {MinDurationSeconds} s"));
        if (DurationSeconds > maxSeconds)
            throw new MediaException(Path, string.Create(CultureInfo.InvariantCulture,
                $"claims to last {DurationSeconds:0.##} s, more than the limit of {maxSeconds:0.##} s (raise it with --max-seconds, or check the file's header)"));
        return this;
    }

    /// <summary>
    /// Probes <paramref name="path"/> with our own ffprobe run: the path goes as one argument, as
    /// <c>file:</c> plus the full path, so neither quotes in the name nor protocol prefixes such as
    /// <c>concat:</c>, <c>subfile:</c> or <c>http:</c> are read as anything but a file name. Missing, empty,
    /// unreadable, non-regular (FIFO, device), truncated and non-media files raise a
    /// <see cref="MediaException"/> naming the file; a missing ffprobe raises one that says to install ffmpeg.
    /// </summary>
    public static Task<VideoProbe> ProbeAsync(string path, FFmpegBinaries? binaries = null,
        CancellationToken cancellationToken = default) => ProbeAsync(path, binaries, "a video file", cancellationToken);

    /// <summary>As the public <see cref="ProbeAsync(string, FFmpegBinaries?, CancellationToken)"/>; <paramref name="expected"/> ("an audio file") is what a file ffprobe cannot read is said not to be.</summary>
    internal static async Task<VideoProbe> ProbeAsync(string path, FFmpegBinaries? binaries, string expected, CancellationToken cancellationToken)
    {
        CheckReadableFile(path);
        string input = FileArgument(path);
        string[] arguments = ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", input];
        byte[] json;
        int exitCode;
        string errors;
        await using (var ffprobe = FFmpegProcess.Start((binaries ?? FFmpegBinaries.Default).FFprobePath(path), arguments, readOutput: true, path))
        {
            json = await ReadBoundedAsync(ffprobe.Output, path, cancellationToken).ConfigureAwait(false);
            exitCode = await ffprobe.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            errors = ffprobe.ErrorSummary(input);
        }
        if (exitCode != 0)
            throw new MediaException(path, $"not {expected}, or a truncated or damaged one (ffprobe: {errors})");
        try
        {
            using var document = JsonDocument.Parse(json);
            return FromJson(path, document.RootElement);
        }
        catch (JsonException)
        {
            throw new MediaException(path, "ffprobe could not describe the file (its output was not valid JSON)");
        }
    }

    /// <summary>How a user's path is handed to ffmpeg and ffprobe: <c>file:</c> and the full path, never a protocol.</summary>
    public static string FileArgument(string path) => "file:" + System.IO.Path.GetFullPath(path);

    static async Task<byte[]> ReadBoundedAsync(Stream output, string path, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await output.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxProbeOutputBytes)
                throw new MediaException(path, $"ffprobe describes the file in more than {MaxProbeOutputBytes} bytes; not a media file this reads");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// The file-level checks done before ffprobe runs: present, a regular file once links are followed
    /// (a FIFO would block ffprobe forever, a device never ends), readable, not empty.
    /// </summary>
    public static void CheckReadableFile(string path)
    {
        var kind = InputFile.KindOf(path);
        if (kind == FileKind.Directory) throw new MediaException(path, "is a directory, not a media file");
        if (kind != FileKind.Regular) throw new MediaException(path, InputFile.Problem(kind));
        var info = new FileInfo(InputFile.Resolve(path));
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

    static VideoProbe FromJson(string path, JsonElement root)
    {
        var streams = root.TryGetProperty("streams", out var s) && s.ValueKind == JsonValueKind.Array
            ? s.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object).ToList() : [];
        var format = root.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.Object ? f : default;
        string formatName = Text(format, "format_name") ?? "";
        double containerSeconds = Seconds(Text(format, "duration"));

        // Cover art (an MP3's or M4A's picture) is a one-frame "video" stream flagged attached_pic.
        var video = streams
            .Where(e => Text(e, "codec_type") == "video" && Integer(Child(e, "disposition"), "attached_pic") != 1)
            .OrderBy(e => Integer(e, "index") ?? int.MaxValue)
            .Cast<JsonElement?>()
            .FirstOrDefault();
        bool hasAudio = streams.Any(e => Text(e, "codec_type") == "audio");

        if (video is not { } v)
        {
            return new VideoProbe
            {
                Path = path, FormatName = formatName, DurationSeconds = containerSeconds,
                HasVideo = false, HasAudio = hasAudio, VideoStreamIndex = -1, Width = 0, Height = 0, Rotation = 0,
                DisplayWidth = 0, DisplayHeight = 0, FrameRate = 0,
            };
        }

        double streamSeconds = Seconds(Text(v, "duration"));
        if (!(streamSeconds > 0)) streamSeconds = TagDurationSeconds(Child(v, "tags"));
        double seconds = streamSeconds > 0 ? streamSeconds : containerSeconds;
        // The container's duration covers every stream, so a video stream that claims to be much longer
        // than its container has a damaged (or patched) header: neither number can be trusted.
        if (streamSeconds > 0 && containerSeconds > 0 && streamSeconds > containerSeconds * 1.05 + 1)
            throw new MediaException(path, string.Create(CultureInfo.InvariantCulture,
                $"the video stream claims {streamSeconds:0.###} s but the container only {containerSeconds:0.###} s; the file's header is damaged"));

        int width = Math.Max(0, Integer(v, "width") ?? 0), height = Math.Max(0, Integer(v, "height") ?? 0);
        int rotation = RotationOf(v);
        int displayWidth = width, displayHeight = height;
        var (sarNum, sarDen) = Ratio(Text(v, "sample_aspect_ratio"));
        if (sarNum > 0 && sarDen > 0 && sarNum != sarDen)
            displayWidth = (int)Math.Clamp(Math.Round(width * sarNum / sarDen), 1, int.MaxValue);
        if (rotation is 90 or 270) (displayWidth, displayHeight) = (displayHeight, displayWidth);

        double frameRate = Rate(Text(v, "avg_frame_rate"));
        if (!(frameRate > 0)) frameRate = Rate(Text(v, "r_frame_rate"));

        return new VideoProbe
        {
            Path = path,
            FormatName = formatName,
            DurationSeconds = seconds,
            HasVideo = true,
            HasAudio = hasAudio,
            VideoStreamIndex = Integer(v, "index") ?? 0,
            VideoCodec = Text(v, "codec_name") ?? "",
            Width = width,
            Height = height,
            Rotation = rotation,
            DisplayWidth = displayWidth,
            DisplayHeight = displayHeight,
            FrameRate = frameRate,
        };
    }

    static JsonElement Child(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var child) ? child : default;

    static string? Text(JsonElement element, string name) =>
        Child(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    static int? Integer(JsonElement element, string name) => Child(element, name) switch
    {
        { ValueKind: JsonValueKind.Number } n when n.TryGetInt32(out int i) => i,
        { ValueKind: JsonValueKind.String } t when int.TryParse(t.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int i) => i,
        _ => null,
    };

    /// <summary>ffprobe's "12.345000"; 0 for "N/A", absent, negative or not finite.</summary>
    static double Seconds(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) && value > 0 ? value : 0;

    /// <summary>"30000/1001" as a number; 0 when either part is missing or zero.</summary>
    static double Rate(string? text)
    {
        var (num, den) = Ratio(text);
        double rate = den > 0 ? num / den : 0;
        return double.IsFinite(rate) && rate > 0 ? rate : 0;
    }

    static (double Num, double Den) Ratio(string? text)
    {
        if (text is null) return (0, 0);
        int split = text.IndexOfAny(['/', ':']);
        if (split < 0) return (0, 0);
        return double.TryParse(text.AsSpan(0, split), NumberStyles.Float, CultureInfo.InvariantCulture, out double num) &&
               double.TryParse(text.AsSpan(split + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double den)
            ? (num, den) : (0, 0);
    }

    /// <summary>
    /// The display matrix rotation ffprobe reports in the stream's side data (counter-clockwise degrees,
    /// possibly negative), else the legacy clockwise "rotate" tag, folded to 0/90/180/270.
    /// </summary>
    static int RotationOf(JsonElement video)
    {
        double? degrees = null;
        if (Child(video, "side_data_list") is { ValueKind: JsonValueKind.Array } sideData)
        {
            foreach (var entry in sideData.EnumerateArray())
            {
                if (Child(entry, "rotation") is { ValueKind: JsonValueKind.Number } value && value.TryGetDouble(out double d))
                {
                    degrees = d;
                    break;
                }
            }
        }
        if (degrees is null && Text(Child(video, "tags"), "rotate") is { } tag &&
            double.TryParse(tag, NumberStyles.Float, CultureInfo.InvariantCulture, out double clockwise))
            degrees = -clockwise;
        if (degrees is null || !double.IsFinite(degrees.Value)) return 0;
        long quarter = (long)Math.Round(Math.Clamp(degrees.Value, -1e6, 1e6) / 90.0);
        return (int)(((quarter % 4) + 4) % 4 * 90);
    }

    /// <summary>Matroska's per-stream "DURATION" tag, "HH:MM:SS.nnnnnnnnn"; 0 when absent or unreadable.</summary>
    static double TagDurationSeconds(JsonElement tags)
    {
        if (tags.ValueKind != JsonValueKind.Object) return 0;
        string? text = tags.EnumerateObject()
            .FirstOrDefault(t => string.Equals(t.Name, "DURATION", StringComparison.OrdinalIgnoreCase) && t.Value.ValueKind == JsonValueKind.String)
            .Value is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;
        if (string.IsNullOrEmpty(text)) return 0;
        string[] parts = text.Split(':');
        if (parts.Length != 3) return 0;
        // Parsed as doubles: a patched 999999999:59:59 is a huge number (refused by RequireDuration), not an overflow.
        if (!double.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out double hours) ||
            !double.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out double minutes) ||
            !double.TryParse(parts[2], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double secs))
            return 0;
        double total = hours * 3600.0 + minutes * 60.0 + secs;
        return double.IsFinite(total) ? total : 0;
    }
}
