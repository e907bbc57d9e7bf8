using V2Meow.Loaders.Audio;

namespace V2Meow.Runtime.Scoring;

/// <summary>
/// Scores music against its video (docs/scoring.md): the music's onsets (<see cref="OnsetDetector"/>, on the
/// audio mixed to mono at 16 kHz) against the video's visual beats (<see cref="VideoMotion"/>), by LORIS's
/// beat scores and AV-Align (<see cref="BeatMetrics"/>). Thread-safe; every call is independent.
/// </summary>
public static class MusicScorer
{
    /// <summary>Scores the audio of <paramref name="audioPath"/> (a WAV, or any file with an audio track, e.g. an .mp4 with music muxed in) against <paramref name="videoPath"/>.</summary>
    public static async Task<MusicScores> ScoreAsync(string videoPath, string audioPath, CancellationToken cancellationToken = default)
    {
        var motion = await VideoMotion.AnalyseAsync(videoPath, cancellationToken: cancellationToken).ConfigureAwait(false);
        return await ScoreAsync(motion, audioPath, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Scores <paramref name="audioPath"/> against a video's already measured motion (several candidates of one video share it).</summary>
    public static async Task<MusicScores> ScoreAsync(VideoMotion motion, string audioPath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(motion);
        var audio = await AudioReader.ReadMonoAsync(audioPath, OnsetDetector.SampleRate, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Score(motion, audio);
    }

    /// <summary>Scores <paramref name="audio"/> (mono, <see cref="OnsetDetector.SampleRate"/>) against <paramref name="motion"/>.</summary>
    public static MusicScores Score(VideoMotion motion, ReadOnlySpan<float> audio)
    {
        ArgumentNullException.ThrowIfNull(motion);
        var onsets = OnsetDetector.Onsets(audio);
        var (coverage, hit, f1, bins) = BeatMetrics.Loris(onsets, (double)audio.Length / OnsetDetector.SampleRate, motion.Beats, motion.DurationSeconds);
        return new MusicScores
        {
            BeatCoverage = coverage,
            BeatHit = hit,
            BeatF1 = f1,
            AvAlign = BeatMetrics.AvAlign(onsets, motion.Beats, motion.FrameRate),
            AudioOnsets = onsets.Count,
            VisualBeats = motion.Beats.Count,
            Bins = bins,
            FrameRate = motion.FrameRate,
        };
    }
}
