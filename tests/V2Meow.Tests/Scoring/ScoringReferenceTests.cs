using V2Meow.Loaders.Audio;
using V2Meow.Runtime.Scoring;
using V2Meow.Tests.Cli;

namespace V2Meow.Tests.Scoring;

/// <summary>
/// The C# scores against the Python reference's on the committed fixtures (expected.json), part by part:
/// onsets, the motion curve (C# Farneback against OpenCV's), the visual beats and the four scores.
/// </summary>
public class ScoringReferenceTests
{
    [Fact]
    public async Task OnsetsAreTheReferencesToTheEnvelopeFrame()
    {
        var audio = await AudioReader.ReadMonoAsync(ScoreFixtures.Music, OnsetDetector.SampleRate);
        var expected = ScoreFixtures.Numbers(ScoreFixtures.Expected(), "onsets");
        var onsets = OnsetDetector.Onsets(audio);
        // Times are whole 10 ms frames: the same peaks give the same numbers up to the division's rounding.
        Assert.Equal(expected.Length, onsets.Count);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], onsets[i], 1e-9);
    }

    [Fact]
    public async Task MotionCurveMatchesOpenCvFarneback()
    {
        var expected = ScoreFixtures.Expected();
        var reference = ScoreFixtures.Numbers(expected, "motion");
        var motion = await VideoMotion.AnalyseAsync(ScoreFixtures.Video);
        Assert.Equal(expected.GetProperty("fps").GetDouble(), motion.FrameRate);
        Assert.Equal(reference.Length, motion.Magnitudes.Count);
        double peak = reference.Max();
        for (int i = 0; i < reference.Length; i++)
        {
            // 1e-4 of the curve's peak: both sides run the same float32 algorithm on the same decoded frames;
            // what differs is summation order (OpenCV's SIMD loops), measured at 2e-7 here.
            Assert.True(Math.Abs(motion.Magnitudes[i] - reference[i]) <= 1e-4 * peak,
                $"frame {i}: C# {motion.Magnitudes[i]}, OpenCV {reference[i]}");
        }
        Assert.Equal(ScoreFixtures.Numbers(expected, "beats"), motion.Beats.ToArray());
    }

    [Fact]
    public async Task ScoresEqualTheReference()
    {
        var expected = ScoreFixtures.Expected();
        var scores = await MusicScorer.ScoreAsync(ScoreFixtures.Video, ScoreFixtures.Music);
        // The same onsets and beats make the same counts, so the scores agree to the last digit written.
        Assert.Equal(expected.GetProperty("beat_coverage").GetDouble(), scores.BeatCoverage, 1e-12);
        Assert.Equal(expected.GetProperty("beat_hit").GetDouble(), scores.BeatHit, 1e-12);
        Assert.Equal(expected.GetProperty("beat_f1").GetDouble(), scores.BeatF1, 1e-12);
        Assert.Equal(expected.GetProperty("av_align").GetDouble(), scores.AvAlign, 1e-12);
        Assert.Equal(expected.GetProperty("audio_onsets").GetInt32(), scores.AudioOnsets);
        Assert.Equal(expected.GetProperty("visual_beats").GetInt32(), scores.VisualBeats);
        Assert.Equal(expected.GetProperty("bins").GetInt32(), scores.Bins);
        // A fixture where neither score is trivial, so a wrong rule would show.
        Assert.InRange(scores.BeatCoverage, 0.05, 0.95);
        Assert.InRange(scores.BeatHit, 0.05, 0.95);
        Assert.InRange(scores.AvAlign, 0.05, 0.95);
    }

    [Theory]
    [InlineData("missing-video", "nothing.mp4")]
    [InlineData("not-a-video", "music.wav: has no video stream")]
    [InlineData("missing-audio", "nothing.wav: file not found")]
    [InlineData("silent-video", "has no audio stream")]
    [InlineData("one-argument", "score needs a VIDEO and an AUDIO")]
    public async Task BadInputIsOneErrorLine(string kind, string message)
    {
        string[] args = kind switch
        {
            "missing-video" => ["score", "nothing.mp4", ScoreFixtures.Music],
            "not-a-video" => ["score", ScoreFixtures.Music, ScoreFixtures.Music],
            "missing-audio" => ["score", ScoreFixtures.Video, "nothing.wav"],
            "silent-video" => ["score", ScoreFixtures.Video, ScoreFixtures.Video],
            _ => ["score", ScoreFixtures.Video],
        };
        var (code, output, error) = await CliRunner.RunAsync(args);
        Assert.Equal(2, code);
        Assert.Equal("", output.Trim());
        Assert.StartsWith("error: ", error);
        Assert.Contains(message, error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error: "));
    }

    [Fact]
    public async Task ScoreCommandPrintsTheScoresAsJson()
    {
        var (code, output, error) = await CliRunner.RunAsync("score", ScoreFixtures.Video, ScoreFixtures.Music, "--json");
        Assert.True(code == 0, error);
        using var json = System.Text.Json.JsonDocument.Parse(output);
        var expected = ScoreFixtures.Expected();
        foreach (string key in new[] { "beat_coverage", "beat_hit", "beat_f1", "av_align" })
            Assert.Equal(expected.GetProperty(key).GetDouble(), json.RootElement.GetProperty(key).GetDouble(), 1e-6);
    }
}
