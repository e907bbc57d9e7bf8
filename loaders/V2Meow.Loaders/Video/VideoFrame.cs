namespace V2Meow.Loaders.Video;

/// <summary>
/// One decoded frame: RGB24, row-major, top row first, <c>Width × Height × 3</c> bytes with no row padding.
/// </summary>
public sealed class VideoFrame
{
    public int Index { get; }

    /// <summary>The time in seconds this frame stands for: the middle of its sampling interval, (Index + 0.5) / fps.</summary>
    public double Time { get; }

    public int Width { get; }
    public int Height { get; }
    public ReadOnlyMemory<byte> Rgb { get; }

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
