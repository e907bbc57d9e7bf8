using V2Meow.Runtime;
using V2Meow.Tests.Video;

namespace V2Meow.Tests.Cli;

/// <summary>
/// `v2meow match VIDEO AUDIO…` as a user runs it with the vmas-match golden bundle: one line per recording, best first,
/// and for every input it cannot match one `error:` line and exit 2.
/// </summary>
[Collection(MediaCollection.Name)]
public class MatchCommandTests(TestMedia media)
{
    static string Bundle => GoldenSets.Bundle("vmas-match");

    [Fact]
    public async Task PrintsOneLinePerRecordingBestFirst()
    {
        var (code, output, error) = await CliRunner.RunAsync("match", media.OddSize, media.Wav, media.WithAudio, "--bundle", Bundle, "--device", "cpu");
        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        var parsed = lines.Select(l => l.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal(["1", "2"], parsed.Select(p => p[0]));
        double first = double.Parse(parsed[0][1], System.Globalization.CultureInfo.InvariantCulture);
        double second = double.Parse(parsed[1][1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(first >= second, output);
        Assert.Equal(new[] { media.Wav, media.WithAudio }.Order(), parsed.Select(p => p[2].Trim()).Order());
        Assert.Contains("contrastive projections of 'vmas-match'", error);
    }

    public static TheoryData<string[], string> BadInputs() => new()
    {
        { ["match"], "match needs a VIDEO and at least one AUDIO" },
        { ["match", "VIDEO"], "match needs a VIDEO and at least one AUDIO" },
        { ["match", "missing.mp4", "also-missing.wav", "--bundle", "B"], "missing.mp4: no such file" },
        { ["match", "VIDEO", "AUDIO", "--bundle", "B", "--model", "vmas"], "give --bundle or --model, not both" },
        { ["match", "VIDEO", "AUDIO", "--model", "v2meow"], "is a V2Meow model and has no contrastive projections; pass --bundle DIR" },
        { ["match", "VIDEO", "AUDIO", "--model", "other"], "--model other: unknown model" },
        { ["match", "VIDEO", "AUDIO", "--frobnicate"], "unknown option --frobnicate" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task BadCommandLinesAreOneErrorLine(string[] args, string message)
    {
        // VIDEO and AUDIO stand for files that exist, so the error tested is the one named.
        string[] resolved = args.Select(a => a switch { "VIDEO" => media.OddSize, "AUDIO" => media.Wav, "B" => Bundle, _ => a }).ToArray();
        var (code, _, error) = await CliRunner.RunAsync(resolved);
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", error.Split('\n').Last(l => l.Length > 0));
        Assert.Contains(message, error);
    }

    [Fact]
    public async Task ABundleWithoutProjectionsIsOneErrorLineNamingIt()
    {
        var (code, _, error) = await CliRunner.RunAsync("match", media.OddSize, media.Wav, "--bundle", GoldenSets.Bundle("vmas-tiny"), "--device", "cpu");
        Assert.Equal(2, code);
        Assert.Matches("^error: .*vmas-tiny.*no contrastive projections", error.Trim());
    }

    [Fact]
    public async Task WithoutABundleTheEmbeddedVmasModelRanks()
    {
        var (code, output, error) = await CliRunner.RunAsync("match", media.OddSize, media.Wav, media.WithAudio, "--device", "cpu");
        Assert.True(code == 0, error);
        Assert.Contains(EmbeddedModels.ForFamily("vmas")!.Label, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.Matches(@"^\s+[12]\s+-?[01]\.\d{4}\s+\S", l));
    }

    [Fact]
    public async Task UnreadableAudioIsOneErrorLineNamingTheFile()
    {
        var (code, _, error) = await CliRunner.RunAsync("match", media.OddSize, media.Wav, media.NotAVideo, "--bundle", Bundle, "--device", "cpu");
        Assert.Equal(2, code);
        var last = error.Split('\n').Last(l => l.Length > 0);
        Assert.StartsWith("error: ", last);
        Assert.Contains(media.NotAVideo, last);
    }

    [Fact]
    public async Task HelpShowsTheUsage()
    {
        var (code, output, _) = await CliRunner.RunAsync("match", "--help");
        Assert.Equal(0, code);
        Assert.Contains("usage: v2meow match VIDEO AUDIO [AUDIO …]", output);
    }
}
