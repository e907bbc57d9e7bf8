using V2Meow.Loaders.Features;
using V2Meow.Runtime;
using V2Meow.Tests.Cli;
using V2Meow.Tests.Video;

namespace V2Meow.Tests.Generation;

/// <summary>`v2meow generate` as a user runs it: output files, and one `error:` line with exit 2 on bad input.</summary>
[Collection(MediaCollection.Name)]
public class GenerateCommandTests(TestMedia media)
{
    [Fact]
    public async Task WritesAWavWithTheDefaultModelAndPrintsTheStageTable()
    {
        using var dir = new TempDirectory();
        string wav = dir.File("out.wav");
        var (code, output, error) = await CliRunner.RunAsync("generate", media.Short, "-o", wav, "--seed", "4", "--device", "cpu");
        Assert.True(code == 0, error);
        Assert.True(File.Exists(wav));
        Assert.Contains(V2Meow.Runtime.DefaultModel.Label, error);
        foreach (string stage in new[] { "Features", "Semantic", "Coarse", "Fine", "Codec", "total" })
            Assert.Contains(stage, output);
    }

    [Fact]
    public async Task TheEmbeddedVmasModelScoresAVideoToItsLength()
    {
        using var dir = new TempDirectory();
        string wav = dir.File("vmas.wav");
        var (code, output, error) = await CliRunner.RunAsync("generate", media.OddSize, "--model", "vmas", "-o", wav, "--seed", "3", "--device", "cpu");
        Assert.True(code == 0, error);
        Assert.Contains(EmbeddedModels.ForFamily("vmas")!.Label, error);
        Assert.Contains("(3.50 s at 16000 Hz)", output);
        Assert.True(new FileInfo(wav).Length > 3 * 16000 * 2);
    }

    [Theory]
    [InlineData(new[] { "--model", "nonesuch" }, "--model: model 'nonesuch'")]
    [InlineData(new[] { "--model", "vmas", "--bundle", "somewhere" }, "give --bundle or --model, not both")]
    public async Task BadModelChoicesAreOneErrorLine(string[] options, string expected) =>
        await AssertFailsCleanly(["generate", media.Short, .. options, "--device", "cpu"], expected);

    [Fact]
    public async Task SeveralCandidatesGetNumberedFiles()
    {
        using var dir = new TempDirectory();
        var (code, _, error) = await CliRunner.RunAsync("generate", media.Short, "-o", dir.File("out.wav"), "--candidates", "2", "--device", "cpu");
        Assert.True(code == 0, error);
        Assert.True(File.Exists(dir.File("out.0.wav")));
        Assert.True(File.Exists(dir.File("out.1.wav")));
    }

    public static TheoryData<string> BadVideos() => new() { "not-a-video", "empty", "truncated", "audio-only", "missing" };

    [Theory]
    [MemberData(nameof(BadVideos))]
    public async Task BadVideoGivesOneErrorLineAndNoOutput(string kind)
    {
        string video = kind switch
        {
            "not-a-video" => media.NotAVideo,
            "empty" => media.Empty,
            "truncated" => media.Truncated,
            "audio-only" => media.AudioOnly,
            _ => Path.Combine(media.Folder, "nothing-here.mp4"),
        };
        await AssertFailsCleanly(["generate", video, "--device", "cpu"], Path.GetFileName(video));
    }

    [Fact]
    public async Task BundleMissingAComponentIsNamed()
    {
        using var bundle = new TempDirectory();
        foreach (string f in Directory.GetFiles(GoldenSets.Bundle("tiny")))
            if (!f.EndsWith("stage3.safetensors")) File.Copy(f, Path.Combine(bundle.Path, Path.GetFileName(f)));
        await AssertFailsCleanly(["generate", media.Short, "--bundle", bundle.Path, "--device", "cpu"], "'stage3'");
    }

    [Fact]
    public async Task FeaturesOfTheWrongDimensionAreRefused()
    {
        using var dir = new TempDirectory();
        string features = dir.File("clip.npy");
        NpyFile.Write(features, new float[1, 15]);
        await AssertFailsCleanly(["generate", media.Short, "--bundle", GoldenSets.Bundle("tiny"), "--features", features, "--device", "cpu"], "expected 16");
    }

    [Fact]
    public async Task NaNInFeaturesIsRefused()
    {
        using var dir = new TempDirectory();
        string features = dir.File("clip.npy");
        var rows = new float[1, 16];
        rows[0, 5] = float.NaN;
        NpyFile.Write(features, rows);
        await AssertFailsCleanly(["generate", media.Short, "--bundle", GoldenSets.Bundle("tiny"), "--features", features, "--device", "cpu"], "NaN");
    }

    [Fact]
    public async Task PromptWithoutATextTowerSaysSo()
    {
        await AssertFailsCleanly(["generate", media.Short, "--bundle", GoldenSets.Bundle("tiny"), "--prompt", "slow dark piano", "--device", "cpu"], "text tower");
    }

    [Fact]
    public async Task PromptOfUnknownWordsListsTheVocabulary()
    {
        await AssertFailsCleanly(["generate", media.Short, "--prompt", "jazzy saxophone", "--device", "cpu"], "it knows: ");
    }

    [Fact]
    public async Task PromptSteersTheDefaultModel()
    {
        using var dir = new TempDirectory();
        var (code, _, error) = await CliRunner.RunAsync("generate", media.Short, "-o", dir.File("p.wav"), "--prompt", "fast bright major piano drums", "--device", "cpu");
        Assert.True(code == 0, error);
        Assert.True(File.Exists(dir.File("p.wav")));
    }

    async Task AssertFailsCleanly(string[] args, string expected)
    {
        using var dir = new TempDirectory();
        string output = dir.File("out.mp4");
        var (code, _, error) = await CliRunner.RunAsync([.. args, "-o", output]);
        Assert.Equal(2, code);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("error: ")).ToList();
        Assert.Single(lines);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", error);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }
}
