namespace V2Meow.Runtime.Generation;

/// <summary>One window of a sliding-window pass: units [Start, End), the first <see cref="Carried"/> of them taken from the window before.</summary>
public readonly record struct Window(int Index, int Start, int End, int Carried)
{
    /// <summary>End − Start: the window's units, carried and new.</summary>
    public int Length => End - Start;
    /// <summary>Units this window generates.</summary>
    public int New => Length - Carried;
}

/// <summary>
/// How a stage covers a sequence longer than its training window (SPEC §4 leaves this to the runtime):
/// windows of <c>width</c> units that overlap by <c>overlap</c>; each window after the first is prompted
/// with the overlap, which the window before generated, and generates only the rest. The last window is
/// cut at the end, so the total is exact.
/// </summary>
public static class WindowPlan
{
    /// <summary>
    /// The windows covering [0, <paramref name="total"/>): <paramref name="width"/> units each, consecutive windows overlapping by
    /// <paramref name="overlap"/>.
    /// </summary>
    public static IReadOnlyList<Window> Cover(int total, int width, int overlap)
    {
        if (total < 0) throw new ArgumentOutOfRangeException(nameof(total), total, "a length ≥ 0");
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, "a window of at least one unit");
        if (overlap < 0 || overlap >= width) throw new ArgumentOutOfRangeException(nameof(overlap), overlap, $"in [0, {width})");
        var windows = new List<Window>();
        int start = 0;
        while (true)
        {
            int end = Math.Min(total, start + width);
            int carried = windows.Count == 0 ? 0 : windows[^1].End - start;
            windows.Add(new Window(windows.Count, start, end, carried));
            if (end >= total) break;
            start = end - overlap;
        }
        return windows;
    }
}
