using System.Text.Json;

namespace V2Meow.Runtime.Scoring;

/// <summary>
/// How well music fits its video (docs/scoring.md states every definition): the LORIS beat scores over
/// 1-second bins (the music's onsets against the video's motion peaks) and AV-Align (onsets against motion
/// peaks within one video frame).
/// </summary>
public sealed record MusicScores
{
    /// <summary>BCS: of the bins holding a music onset, the share that also hold a visual beat (LORIS "cover").</summary>
    public required double BeatCoverage { get; init; }
    /// <summary>BHS: of the bins holding a visual beat, the share that also hold a music onset (LORIS "hit").</summary>
    public required double BeatHit { get; init; }
    /// <summary>The harmonic mean of <see cref="BeatCoverage"/> and <see cref="BeatHit"/>; 0 when both are 0.</summary>
    public required double BeatF1 { get; init; }
    /// <summary>AV-Align: matched onsets over onsets plus visual beats minus matched onsets (an intersection over union).</summary>
    public required double AvAlign { get; init; }
    /// <summary>Onsets found in the music.</summary>
    public required int AudioOnsets { get; init; }
    /// <summary>Visual beats: local maxima of the video's mean optical-flow magnitude.</summary>
    public required int VisualBeats { get; init; }
    /// <summary>1-second bins compared (the shorter of the music and the video, rounded up).</summary>
    public required int Bins { get; init; }
    /// <summary>Frames per second the motion was measured at (the video's own rate, at most 30).</summary>
    public required double FrameRate { get; init; }

    /// <summary>Writes the scores as one JSON object, snake_case, as the results file and <c>score --json</c> show them.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("beat_coverage", Math.Round(BeatCoverage, 6));
        writer.WriteNumber("beat_hit", Math.Round(BeatHit, 6));
        writer.WriteNumber("beat_f1", Math.Round(BeatF1, 6));
        writer.WriteNumber("av_align", Math.Round(AvAlign, 6));
        writer.WriteNumber("audio_onsets", AudioOnsets);
        writer.WriteNumber("visual_beats", VisualBeats);
        writer.WriteNumber("bins", Bins);
        writer.WriteNumber("fps", Math.Round(FrameRate, 6));
        writer.WriteEndObject();
    }

    /// <summary>Reads what <see cref="WriteJson"/> wrote; null when <paramref name="element"/> is not such an object.</summary>
    public static MusicScores? FromJson(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object) return null;
        double? Number(string name) =>
            element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) ? d : null;
        if (Number("beat_coverage") is not { } coverage || Number("beat_hit") is not { } hit || Number("beat_f1") is not { } f1 ||
            Number("av_align") is not { } align)
            return null;
        return new MusicScores
        {
            BeatCoverage = coverage, BeatHit = hit, BeatF1 = f1, AvAlign = align,
            AudioOnsets = (int)(Number("audio_onsets") ?? 0), VisualBeats = (int)(Number("visual_beats") ?? 0),
            Bins = (int)(Number("bins") ?? 0), FrameRate = Number("fps") ?? 0,
        };
    }
}
