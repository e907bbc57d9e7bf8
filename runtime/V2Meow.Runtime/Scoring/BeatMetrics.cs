namespace V2Meow.Runtime.Scoring;

/// <summary>The two comparisons of music onsets with visual beats (docs/scoring.md).</summary>
public static class BeatMetrics
{
    /// <summary>
    /// LORIS's beat scores (Yu et al. 2023, "Long-Term Rhythmic Video Soundtracker", beats_scores.py), with
    /// the video's visual beats as the reference and the music's onsets as the generated beats: time is cut
    /// into 1-second bins (⌈seconds⌉ of each, the shorter count kept); a bin is a beat bin of a side when
    /// one of its times t has ⌊t⌋ equal to it; hits are bins that are beat bins of both. Coverage (BCS) =
    /// hits / music beat bins, hit (BHS) = hits / visual beat bins, F1 their harmonic mean; a score with
    /// an empty denominator is 0.
    /// </summary>
    public static (double Coverage, double Hit, double F1, int Bins) Loris(IReadOnlyList<double> onsets, double audioSeconds,
        IReadOnlyList<double> beats, double videoSeconds)
    {
        ArgumentNullException.ThrowIfNull(onsets);
        ArgumentNullException.ThrowIfNull(beats);
        int bins = (int)Math.Min(Math.Ceiling(Math.Max(0, audioSeconds)), Math.Ceiling(Math.Max(0, videoSeconds)));
        var music = Binned(onsets, bins);
        var video = Binned(beats, bins);
        int hits = 0, musicBins = 0, videoBins = 0;
        for (int b = 0; b < bins; b++)
        {
            if (music[b]) musicBins++;
            if (video[b]) videoBins++;
            if (music[b] && video[b]) hits++;
        }
        double coverage = musicBins == 0 ? 0 : (double)hits / musicBins;
        double hit = videoBins == 0 ? 0 : (double)hits / videoBins;
        double f1 = coverage + hit == 0 ? 0 : 2 * coverage * hit / (coverage + hit);
        return (coverage, hit, f1, bins);
    }

    static bool[] Binned(IReadOnlyList<double> times, int bins)
    {
        var binned = new bool[bins];
        foreach (double t in times)
        {
            double b = Math.Floor(t);
            if (b >= 0 && b < bins) binned[(int)b] = true;
        }
        return binned;
    }

    /// <summary>
    /// AV-Align (Yariv et al. 2024): I = the onsets a with a visual beat v such that v − 1/fps &lt; a &lt; v + 1/fps;
    /// AV-Align = I / (onsets + beats − I), an intersection over union; 0 when there are neither.
    /// </summary>
    public static double AvAlign(IReadOnlyList<double> onsets, IReadOnlyList<double> beats, double frameRate)
    {
        ArgumentNullException.ThrowIfNull(onsets);
        ArgumentNullException.ThrowIfNull(beats);
        if (!(frameRate > 0)) throw new ArgumentOutOfRangeException(nameof(frameRate), frameRate, "a positive rate");
        double window = 1 / frameRate;
        var sorted = beats.Order().ToArray();
        int matched = 0;
        foreach (double a in onsets)
        {
            // The beats nearest a on either side decide it: a binary search, not a scan (a two-hour video has
            // tens of thousands of each).
            int i = Array.BinarySearch(sorted, a);
            if (i < 0) i = ~i;
            bool near = (i < sorted.Length && sorted[i] - window < a && a < sorted[i] + window)
                || (i > 0 && sorted[i - 1] - window < a && a < sorted[i - 1] + window);
            if (near) matched++;
        }
        int union = onsets.Count + beats.Count - matched;
        return union == 0 ? 0 : (double)matched / union;
    }
}
