namespace V2Meow.Runtime.Families.Vmas;

/// <summary>One window of VMAs' generation (VMAS.md §7.3), in codec frames of the whole output.</summary>
/// <param name="Index">0-based.</param>
/// <param name="Start">The window's frame 0 in the whole output.</param>
/// <param name="Frames">Frames the window holds, prompt included (at most Tw; fewer in a last, short window).</param>
/// <param name="PromptFrames">Frames continued from the codes before it (0 in the first window).</param>
internal readonly record struct VmasWindow(int Index, int Start, int Frames, int PromptFrames)
{
    /// <summary>One past the window's last frame.</summary>
    public int End => Start + Frames;

    /// <summary>
    /// Windows covering <paramref name="total"/> frames: window w starts at w · (Tw − Tp), each after the first
    /// continuing from the Tp frames before its new ones; the last stops at the total.
    /// </summary>
    public static IReadOnlyList<VmasWindow> Cover(int total, int windowFrames, int promptFrames)
    {
        var windows = new List<VmasWindow> { new(0, 0, Math.Min(total, windowFrames), 0) };
        int stride = windowFrames - promptFrames;
        while (windows[^1].End < total)
        {
            int start = windows.Count * stride;
            windows.Add(new VmasWindow(windows.Count, start, Math.Min(windowFrames, total - start), promptFrames));
        }
        return windows;
    }
}
