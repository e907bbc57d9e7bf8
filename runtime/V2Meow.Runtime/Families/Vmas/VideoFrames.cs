using V2Meow.Loaders.Bundles.Vmas;
using V2Meow.Loaders.Video;

namespace V2Meow.Runtime.Families.Vmas;

/// <summary>
/// A video's frames as VMAs' encoder reads them (VMAS.md §6.1), streamed: sampled at the config's rate by the
/// frame reader's rule (frame i stands for (i + 0.5) / fps), resized to cover the frame size and
/// centre-cropped. Windows are asked for in order; frames before the current window are dropped, so memory
/// holds about one window whatever the video's length. A window's frames come out normalised as
/// [3, F, H, W], the last frame held past the end. One reader at a time.
/// </summary>
internal sealed class VideoFrames : IAsyncDisposable
{
    readonly IAsyncEnumerator<VideoFrame> _reader;
    readonly VmasVideoConfig _video;
    readonly string _path;
    readonly List<byte[]> _buffer = [];
    int _bufferStart;
    bool _ended;

    /// <summary>The video's length in seconds, as ffprobe reports it.</summary>
    public double DurationSeconds { get; }
    /// <summary>Frames the video gives at the config's rate: max(1, ⌈duration × fps⌉).</summary>
    public int Count { get; }

    VideoFrames(string path, IAsyncEnumerator<VideoFrame> reader, VmasVideoConfig video, double duration, int count)
    {
        _path = path;
        _reader = reader;
        _video = video;
        DurationSeconds = duration;
        Count = count;
    }

    /// <summary>Probes <paramref name="path"/> (refusing videos longer than <paramref name="maxSeconds"/>) and starts decoding.</summary>
    public static async Task<VideoFrames> OpenAsync(string path, VmasVideoConfig video, double maxSeconds, CancellationToken cancellationToken)
    {
        var probe = (await VideoProbe.ProbeAsync(path, null, cancellationToken).ConfigureAwait(false))
            .RequireVideo().RequireDuration(maxSeconds);
        // Decoded with the shorter side at most the larger target side: enough pixels to cover the frame.
        int shortSide = Math.Max(2, (Math.Max(video.Height, video.Width) + 1) / 2 * 2);
        var reader = VideoFrameReader.Open(probe, new VideoFrameReaderOptions { Fps = video.Fps, MaxShortSide = shortSide });
        return new VideoFrames(path, reader.ReadFramesAsync(cancellationToken).GetAsyncEnumerator(cancellationToken), video,
            probe.DurationSeconds, reader.FrameCount);
    }

    /// <summary>
    /// Frames [first, first + count) normalised as [3, count, H, W]; indices past the end take the last
    /// frame. <paramref name="first"/> never goes back: frames before it are let go.
    /// </summary>
    public async Task<float[]> WindowAsync(int first, int count)
    {
        if (first < _bufferStart) throw new InvalidOperationException($"frames: window at frame {first} after frames before {_bufferStart} were dropped");
        while (!_ended && _bufferStart + _buffer.Count < first + count)
        {
            if (await _reader.MoveNextAsync().ConfigureAwait(false)) _buffer.Add(CoverAndCrop(_reader.Current, _video.Width, _video.Height));
            else _ended = true;
        }
        if (_buffer.Count == 0) throw new MediaException(_path, "no video frames could be decoded");
        // Keep the last frame even when the window starts past the end: it is held there.
        int drop = Math.Min(first - _bufferStart, _buffer.Count - 1);
        _buffer.RemoveRange(0, drop);
        _bufferStart += drop;

        int h = _video.Height, w = _video.Width, plane = h * w;
        var result = new float[3 * count * plane];
        for (int f = 0; f < count; f++)
        {
            byte[] rgb = _buffer[Math.Clamp(first + f - _bufferStart, 0, _buffer.Count - 1)];
            for (int c = 0; c < 3; c++)
            {
                float mean = (float)_video.Mean[c], std = (float)_video.Std[c];
                var destination = result.AsSpan((c * count + f) * plane, plane);
                for (int i = 0; i < plane; i++) destination[i] = (rgb[i * 3 + c] / 255f - mean) / std;
            }
        }
        return result;
    }

    /// <summary>
    /// The frame scaled by max(W / w0, H / h0), so it covers W × H, with the centre W × H kept: bilinear with
    /// half-pixel centres, edges clamped. Aspect ratios are kept, nothing is stretched.
    /// </summary>
    internal static byte[] CoverAndCrop(VideoFrame frame, int width, int height)
    {
        int w0 = frame.Width, h0 = frame.Height;
        double scale = Math.Max((double)width / w0, (double)height / h0);
        double offsetX = (w0 * scale - width) / 2, offsetY = (h0 * scale - height) / 2;
        var source = frame.Rgb.Span;
        var result = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            double sy = Math.Clamp((y + offsetY + 0.5) / scale - 0.5, 0, h0 - 1);
            int y0 = (int)sy, y1 = Math.Min(y0 + 1, h0 - 1);
            double fy = sy - y0;
            for (int x = 0; x < width; x++)
            {
                double sx = Math.Clamp((x + offsetX + 0.5) / scale - 0.5, 0, w0 - 1);
                int x0 = (int)sx, x1 = Math.Min(x0 + 1, w0 - 1);
                double fx = sx - x0;
                for (int c = 0; c < 3; c++)
                {
                    double top = source[(y0 * w0 + x0) * 3 + c] * (1 - fx) + source[(y0 * w0 + x1) * 3 + c] * fx;
                    double bottom = source[(y1 * w0 + x0) * 3 + c] * (1 - fx) + source[(y1 * w0 + x1) * 3 + c] * fx;
                    result[(y * width + x) * 3 + c] = (byte)Math.Clamp(Math.Round(top * (1 - fy) + bottom * fy), 0, 255);
                }
            }
        }
        return result;
    }

    /// <summary>Stops the decoder (ends ffmpeg if it still has frames to give).</summary>
    public ValueTask DisposeAsync() => _reader.DisposeAsync();
}
