using System.Globalization;
using System.Text.Json;
using V2Meow.Runtime.Scoring;

namespace V2Meow.Cli;

/// <summary><c>v2meow score VIDEO AUDIO [--json]</c>: how well music fits its video, a thin shell over <see cref="MusicScorer"/>.</summary>
public static class ScoreCommand
{
    public const string Usage = """
        usage: v2meow score VIDEO AUDIO [--json]
          AUDIO   the music: a .wav, or any file with an audio track (e.g. the .mp4 `generate` wrote)
          --json  one JSON object instead of the table
        Beat coverage, beat hit and their F1 (LORIS: music onsets against the video's motion peaks in 1-second
        bins) and AV-Align (onsets within one video frame of a motion peak); docs/scoring.md has the definitions.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        string? video = null, audio = null;
        bool json = false;
        foreach (string a in args)
        {
            if (a == "--json") json = true;
            else if (a.StartsWith('-')) throw new UsageException($"unknown option {a}\n{Usage}");
            else if (video is null) video = a;
            else if (audio is null) audio = a;
            else throw new UsageException($"score takes one VIDEO and one AUDIO; got a third, '{a}'");
        }
        if (video is null || audio is null) throw new UsageException("score needs a VIDEO and an AUDIO\n" + Usage);

        var scores = await MusicScorer.ScoreAsync(video, audio, cancellationToken);
        if (json)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
                scores.WriteJson(writer);
            output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            return 0;
        }
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"beat coverage (BCS)  {scores.BeatCoverage:F3}"));
        output.WriteLine(string.Create(c, $"beat hit (BHS)       {scores.BeatHit:F3}"));
        output.WriteLine(string.Create(c, $"beat F1              {scores.BeatF1:F3}"));
        output.WriteLine(string.Create(c, $"AV-Align             {scores.AvAlign:F3}"));
        output.WriteLine(string.Create(c,
            $"{scores.AudioOnsets} music onsets, {scores.VisualBeats} visual beats at {scores.FrameRate:0.###} fps, {scores.Bins} one-second bins"));
        return 0;
    }
}
