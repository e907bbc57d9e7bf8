using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Features;
using V2Meow.Loaders.Video;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Runtime.Generation;

/// <summary>
/// Every encoder stream of a video for its whole length, at the bundle's video_fps, and the style vector;
/// cut into the encoder input of any time window. Built once per video, shared by all candidates.
/// </summary>
public sealed class VideoFeatures
{
    readonly IReadOnlyDictionary<string, StreamFeatures> _streams;
    readonly double _fps;

    /// <summary>The video's length in seconds, which the music matches.</summary>
    public double DurationSeconds { get; }
    /// <summary>Feature rows per stream: one per video frame at video_fps.</summary>
    public int Frames { get; }
    /// <summary>The style vector the encoders take (a prompt's or a file's); null for none.</summary>
    public float[]? Style { get; }

    VideoFeatures(IReadOnlyDictionary<string, StreamFeatures> streams, double fps, double duration, int frames, float[]? style)
    {
        _streams = streams;
        _fps = fps;
        DurationSeconds = duration;
        Frames = frames;
        Style = style;
    }

    /// <summary>
    /// Loads the streams the bundle's encoders read: the built-in stream from the video itself, every other
    /// stream from <see cref="VideoInput.FeatureFiles"/>. Row counts must match the video's frame count at
    /// video_fps (one row of slack for rounding at the end, filled by repeating the last row).
    /// </summary>
    public static async Task<VideoFeatures> LoadAsync(VideoInput input, BundleConfig config, CancellationToken cancellationToken)
    {
        var probe = (await VideoProbe.ProbeAsync(input.VideoPath, null, cancellationToken).ConfigureAwait(false))
            .RequireVideo().RequireDuration(input.MaxDurationSeconds);
        double fps = config.Rates.VideoFps;
        // Every count derived from the duration (frames, tokens, samples) must fit an int; the largest is the samples.
        double fastest = Math.Max(Math.Max(fps, config.Rates.SampleRate), Math.Max(config.Rates.SemanticHz, config.Rates.AcousticHz));
        if (probe.DurationSeconds * fastest >= int.MaxValue)
            throw new MediaException(input.VideoPath,
                $"{probe.DurationSeconds:0.##} s at {fastest} per second is more than one generation can count; use a shorter video");
        int frames = VideoFrameReader.CountFrames(probe.DurationSeconds, fps);

        var needed = new Dictionary<string, StreamConfig>(StringComparer.Ordinal);
        foreach (var stage in new[] { config.Stage1, config.Stage2 })
            foreach (var s in stage.Streams) needed.TryAdd(s.Name, s);
        foreach (string name in input.FeatureFiles.Keys)
            if (!needed.ContainsKey(name))
                throw new MediaException(input.FeatureFiles[name],
                    $"the bundle has no stream '{name}'; its encoders read {string.Join(", ", needed.Keys)}");

        var streams = new Dictionary<string, StreamFeatures>(StringComparer.Ordinal);
        foreach (var (name, stream) in needed)
        {
            StreamFeatures features;
            if (input.FeatureFiles.TryGetValue(name, out var path))
                features = FeatureFile.Load(path, stream);
            else if (name == BuiltInVisualExtractor.StreamName && stream.IsDense && stream.Dim == BuiltInVisualExtractor.Dimension)
                features = await new BuiltInVisualExtractor().ExtractAsync(probe, fps, cancellationToken).ConfigureAwait(false);
            else
                throw new MediaException(null,
                    $"the bundle's stream '{name}' needs precomputed features (--features {name}=FILE); only '{BuiltInVisualExtractor.StreamName}' is extracted from the video");
            streams[name] = FitToFrames(features, frames, path ?? input.VideoPath);
        }

        int styleDim = Math.Max(config.Stage1.StyleDim, config.Stage2.StyleDim);
        float[]? style = input.StyleEmbedding;
        if (input.StyleEmbeddingFile is { } styleFile) style = FeatureFile.LoadStyle(styleFile, styleDim);
        if (style is not null)
        {
            if (styleDim == 0) throw new MediaException(input.StyleEmbeddingFile, "the bundle takes no style embedding (style_dim is 0)");
            if (style.Length != styleDim)
                throw new MediaException(input.StyleEmbeddingFile, $"style embedding: expected {styleDim} finite floats, found {style.Length}");
            int bad = Array.FindIndex(style, v => !float.IsFinite(v));
            if (bad >= 0)
                throw new MediaException(input.StyleEmbeddingFile, $"style embedding: value {bad} is {style[bad]}; expected {styleDim} finite floats");
        }
        return new VideoFeatures(streams, fps, probe.DurationSeconds, frames, style);
    }

    static StreamFeatures FitToFrames(StreamFeatures features, int frames, string path)
    {
        if (features.Frames == frames) return features;
        if (Math.Abs(features.Frames - frames) > 1)
            throw new MediaException(path,
                $"stream '{features.Stream.Name}': {features.Frames} rows, but the video has {frames} frames at the bundle's video_fps");
        return Slice(features, 0, frames);
    }

    /// <summary>Frames [first, first + count), repeating the last row past the end.</summary>
    static StreamFeatures Slice(StreamFeatures features, int first, int count)
    {
        var stream = features.Stream;
        if (stream.IsDense)
        {
            var rows = new float[count, stream.Dim];
            for (int i = 0; i < count; i++)
            {
                int source = Math.Min(first + i, features.Frames - 1);
                for (int j = 0; j < stream.Dim; j++) rows[i, j] = features.Dense![source, j];
            }
            return StreamFeatures.FromDense(stream, rows);
        }
        int per = stream.TokensPerFrame;
        var ids = new int[count * per];
        for (int i = 0; i < count; i++)
            Array.Copy(features.Tokens!, Math.Min(first + i, features.Frames - 1) * per, ids, i * per, per);
        return StreamFeatures.FromTokens(stream, ids);
    }

    /// <summary>
    /// The encoder input of <paramref name="stage"/> for seconds [<paramref name="from"/>, <paramref name="to"/>):
    /// the frames that window covers (at least one), and the style vector (zeros when none was given:
    /// no text control).
    /// </summary>
    public EncoderInput Window(TransformerConfig stage, double from, double to)
    {
        int first = Math.Clamp((int)Math.Floor(from * _fps + 1e-9), 0, Frames - 1);
        int end = Math.Clamp((int)Math.Ceiling(to * _fps - 1e-9), first + 1, Frames);
        var streams = stage.Streams.ToDictionary(s => s.Name, s => Slice(_streams[s.Name], first, end - first), StringComparer.Ordinal);
        float[]? style = stage.StyleDim > 0 ? Style ?? new float[stage.StyleDim] : null;
        return new EncoderInput(streams, style);
    }
}
