using System.Text.Json;

namespace V2Meow.Tests.Scoring;

/// <summary>
/// tests/fixtures/score: a committed 8-second video and its music (make_fixtures.py) and expected.json, what
/// the Python reference (training/evaluation/score.py, OpenCV's Farneback) measures on them.
/// </summary>
internal static class ScoreFixtures
{
    public static string Folder => Path.Combine(Path.GetDirectoryName(GoldenSets.Root)!, "fixtures", "score");
    public static string Video => Path.Combine(Folder, "video.mp4");
    public static string Music => Path.Combine(Folder, "music.wav");

    public static JsonElement Expected()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected.json")));
        return document.RootElement.Clone();
    }

    public static double[] Numbers(JsonElement expected, string name) =>
        expected.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();
}
