using V2Meow.Loaders.Video;

namespace V2Meow.Runtime.Scoring;

/// <summary>
/// How much a video moves, frame by frame, and its visual beats, as AV-Align measures them (Yariv et al.
/// 2024, "Diverse and Aligned Audio-to-Video Generation via Text-to-Video Model Adaptation"; docs/scoring.md):
/// the mean magnitude of the dense optical flow (<see cref="FarnebackFlow"/>) between consecutive frames,
/// and its local maxima.
/// </summary>
/// <remarks>
/// Frames: the video's own frame rate (ffprobe's average) up to <see cref="MaxFrameRate"/> (a faster video
/// is sampled at 30 fps), decoded by <see cref="VideoFrameReader"/> and scaled so the shorter side is at most
/// <see cref="AnalysisShortSide"/> pixels (AV-Align uses full frames; at this size a ten-second clip takes a
/// second or two on one core, and the peaks are where the motion is, whatever the size), then gray as
/// OpenCV makes it. Motion m[i] is the mean flow magnitude from frame i − 1 to frame i (i ≥ 1), and m[0] =
/// m[1], as AV-Align's reference prepends the first pair. Visual beats: i with m[i − 1] &lt; m[i] &gt; m[i + 1],
/// at i / fps seconds.
/// </remarks>
public sealed class VideoMotion
{
    /// <summary>Fastest frame rate measured; a faster video is sampled at this rate.</summary>
    public const double MaxFrameRate = 30;
    /// <summary>Frames are scaled so their shorter side is at most this many pixels.</summary>
    public const int AnalysisShortSide = 128;
    /// <summary>Rate used when ffprobe reports none.</summary>
    public const double FallbackFrameRate = 25;

    /// <summary>Frames per second the motion was measured at.</summary>
    public double FrameRate { get; }
    /// <summary>The video's length in seconds.</summary>
    public double DurationSeconds { get; }
    /// <summary>m[i]: mean optical-flow magnitude into frame i, in pixels of the analysed frames (m[0] = m[1]).</summary>
    public IReadOnlyList<double> Magnitudes { get; }
    /// <summary>Times in seconds of the local maxima of <see cref="Magnitudes"/>.</summary>
    public IReadOnlyList<double> Beats { get; }

    /// <summary>Motion from a known curve (from another tool, or a test).</summary>
    public VideoMotion(IReadOnlyList<double> magnitudes, double frameRate, double durationSeconds)
    {
        ArgumentNullException.ThrowIfNull(magnitudes);
        if (!(frameRate > 0)) throw new ArgumentOutOfRangeException(nameof(frameRate), frameRate, "a positive rate");
        Magnitudes = magnitudes;
        FrameRate = frameRate;
        DurationSeconds = durationSeconds;
        Beats = LocalMaxima(magnitudes, frameRate);
    }

    /// <summary>i / fps for every i with m[i − 1] &lt; m[i] &gt; m[i + 1].</summary>
    public static IReadOnlyList<double> LocalMaxima(IReadOnlyList<double> magnitudes, double frameRate)
    {
        ArgumentNullException.ThrowIfNull(magnitudes);
        var beats = new List<double>();
        for (int i = 1; i < magnitudes.Count - 1; i++)
            if (magnitudes[i - 1] < magnitudes[i] && magnitudes[i] > magnitudes[i + 1]) beats.Add(i / frameRate);
        return beats;
    }

    /// <summary>The frame rate <see cref="AnalyseAsync"/> samples a video of <paramref name="probe"/> at.</summary>
    public static double FrameRateOf(VideoProbe probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        return probe.FrameRate > 0 && double.IsFinite(probe.FrameRate) ? Math.Min(probe.FrameRate, MaxFrameRate) : FallbackFrameRate;
    }

    /// <summary>Decodes <paramref name="videoPath"/> and measures its motion (see the remarks).</summary>
    public static async Task<VideoMotion> AnalyseAsync(string videoPath, double maxSeconds = VideoProbe.DefaultMaxDurationSeconds,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(videoPath);
        var probe = (await VideoProbe.ProbeAsync(videoPath, null, cancellationToken).ConfigureAwait(false))
            .RequireVideo().RequireDuration(maxSeconds);
        double fps = FrameRateOf(probe);
        var reader = await VideoFrameReader.OpenAsync(videoPath,
            new VideoFrameReaderOptions { Fps = fps, MaxShortSide = AnalysisShortSide }, cancellationToken).ConfigureAwait(false);
        var flow = new FarnebackFlow();
        var magnitudes = new List<double>();
        FarnebackFlow.Frame? previous = null;
        await foreach (var frame in reader.ReadFramesAsync(cancellationToken).ConfigureAwait(false))
        {
            var current = flow.Prepare(FarnebackFlow.Gray(frame.Rgb.Span), frame.Width, frame.Height);
            if (previous is not null) magnitudes.Add(flow.MeanMagnitude(previous, current));
            previous = current;
        }
        if (magnitudes.Count > 0) magnitudes.Insert(0, magnitudes[0]);
        return new VideoMotion(magnitudes, fps, probe.DurationSeconds);
    }
}
