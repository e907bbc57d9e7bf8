using V2Meow.Loaders.Bundles.Vmas;
using V2Meow.Loaders.Video;

namespace V2Meow.Runtime.Families.Vmas;

/// <summary>
/// A video's frames as VMAs' encoder reads them (VMAS.md §6.1): sampled at the config's rate by the frame
/// reader's rule (frame i stands for (i + 0.5) / fps), resized to cover the frame size and centre-cropped,
/// kept as RGB bytes; a window's frames come out normalised as [3, F, H, W], the last frame held past the end.
/// </summary>
internal sealed class VideoFrames
{
    readonly byte[][] _frames;
    readonly VmasVideoConfig _video;

    /// <summary>The video's length in seconds, as ffprobe reports it.</summary>
    public double DurationSeconds { get; }
    /// <summary>Frames sampled: max(1, ⌈duration × fps⌉).</summary>
    public int Count => _frames.Length;

    VideoFrames(byte[][] frames, VmasVideoConfig video, double duration)
    {
        _frames = frames;
        _video = video;
        DurationSeconds = duration;
    }

    /// <summary>Decodes and resizes every frame of <paramref name="path"/>; videos longer than <paramref name="maxSeconds"/> are refused first.</summary>
    public static async Task<VideoFrames> LoadAsync(string path, VmasVideoConfig video, double maxSeconds, CancellationToken cancellationToken)
    {
        var probe = (await VideoProbe.ProbeAsync(path, null, cancellationToken).ConfigureAwait(false))
            .RequireVideo().RequireDuration(maxSeconds);
        // Decoded with the shorter side at most the larger target side: enough pixels to cover the frame.
        int shortSide = Math.Max(2, (Math.Max(video.Height, video.Width) + 1) / 2 * 2);
        var reader = VideoFrameReader.Open(probe, new VideoFrameReaderOptions { Fps = video.Fps, MaxShortSide = shortSide });
        var frames = new List<byte[]>(reader.FrameCount);
        await foreach (var frame in reader.ReadFramesAsync(cancellationToken).ConfigureAwait(false))
            frames.Add(CoverAndCrop(frame, video.Width, video.Height));
        if (frames.Count == 0) throw new MediaException(path, "no video frames could be decoded");
        return new VideoFrames([.. frames], video, probe.DurationSeconds);
    }

    /// <summary>Frames [first, first + count) normalised as [3, count, H, W]; indices past the end take the last frame.</summary>
    public float[] Window(int first, int count)
    {
        int h = _video.Height, w = _video.Width, plane = h * w;
        var result = new float[3 * count * plane];
        for (int f = 0; f < count; f++)
        {
            byte[] rgb = _frames[Math.Clamp(first + f, 0, _frames.Length - 1)];
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
}
