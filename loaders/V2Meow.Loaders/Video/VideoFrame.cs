namespace V2Meow.Loaders.Video;

/// <summary>
/// One decoded frame: RGB24, row-major, top row first, <c>Width × Height × 3</c> bytes with no row padding.
/// </summary>
public sealed class VideoFrame
{
    /// <summary>Position in the sampled sequence, 0-based.</summary>
    public int Index { get; }

    /// <summary>The time in seconds this frame stands for: the middle of its sampling interval, (Index + 0.5) / fps.</summary>
    public double Time { get; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }
    /// <summary>Height in pixels.</summary>
    public int Height { get; }
    /// <summary>RGB24 pixels, row-major, top row first, Width × Height × 3 bytes.</summary>
    public ReadOnlyMemory<byte> Rgb { get; }

    /// <summary>A frame over <paramref name="rgb"/> (not copied), which must hold exactly width × height × 3 bytes.</summary>
    public VideoFrame(int index, double time, int width, int height, ReadOnlyMemory<byte> rgb)
    {
        if (rgb.Length != checked(width * height * 3))
            throw new ArgumentException($"{width}x{height} RGB24 needs {width * height * 3} bytes, got {rgb.Length}", nameof(rgb));
        Index = index;
        Time = time;
        Width = width;
        Height = height;
        Rgb = rgb;
    }

    /// <summary>The colour at column <paramref name="x"/>, row <paramref name="y"/> (0, 0 is the top left).</summary>
    public (byte R, byte G, byte B) Pixel(int x, int y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(x);
        ArgumentOutOfRangeException.ThrowIfNegative(y);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(x, Width);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Height);
        var span = Rgb.Span.Slice((y * Width + x) * 3, 3);
        return (span[0], span[1], span[2]);
    }
}
