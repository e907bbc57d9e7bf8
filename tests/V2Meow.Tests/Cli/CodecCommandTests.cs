using V2Meow.Runtime.Codecs;
using V2Meow.Tests.Video;

namespace V2Meow.Tests.Cli;

/// <summary>
/// `v2meow codec encode|decode|roundtrip` as a user runs them with the tiny encoder bundle: the files they write,
/// and for every bad input one `error:` line, exit 2 and nothing at the output path.
/// </summary>
[Collection(MediaCollection.Name)]
public class CodecCommandTests(TestMedia media)
{
    static string Bundle => GoldenSets.Bundle("codec_encoder");

    /// <summary>Samples in the data chunk of a 16-bit mono WAV.</summary>
    static long WavSamples(string path) => (new FileInfo(path).Length - 44) / 2;

    [Fact]
    public async Task EncodeDecodeAndRoundtripAShortWav()
    {
        using var dir = new TempDirectory();
        string codes = dir.File("music.safetensors"), decoded = dir.File("decoded.wav"), roundtrip = dir.File("roundtrip.wav");
        var (code, output, error) = await CliRunner.RunAsync("codec", "encode", media.Wav, "-o", codes, "--bundle", Bundle, "--device", "cpu");
        Assert.True(code == 0, error);
        Assert.Contains("wrote", output);
        // 2.5 s at the codec's 300 Hz is 750 samples, 125 frames of 6; all 4 levels by default.
        var encoded = CodesFile.Load(codes);
        Assert.Equal((4, 125, 750, 300, 6, 32, "codec_encoder"),
            (encoded.Codes.Levels, encoded.Codes.Frames, encoded.Samples, encoded.SampleRate, encoded.Hop, encoded.CodebookSize, encoded.Bundle));

        (code, _, error) = await CliRunner.RunAsync("codec", "decode", codes, "-o", decoded, "--bundle", Bundle, "--device", "cpu");
        Assert.True(code == 0, error);
        Assert.Equal(750, WavSamples(decoded));

        (code, output, error) = await CliRunner.RunAsync("codec", "roundtrip", media.Wav, "-o", roundtrip, "--bundle", Bundle, "--levels", "2", "--device", "cpu");
        Assert.True(code == 0, error);
        Assert.Contains("through 2 levels", output);
        Assert.Equal(750, WavSamples(roundtrip));
    }

    [Fact]
    public async Task FewerLevelsAndAVideosSoundtrack()
    {
        using var dir = new TempDirectory();
        string codes = dir.File("clip.safetensors");
        var (code, _, error) = await CliRunner.RunAsync("codec", "encode", media.WithAudio, "-o", codes, "--bundle", Bundle, "--levels", "1", "--device", "cpu");
        Assert.True(code == 0, error);
        var encoded = CodesFile.Load(codes);
        Assert.Equal(1, encoded.Codes.Levels);
        // The video's 2 s of AAC at 300 Hz, give or take the encoder's priming and padding.
        Assert.InRange(encoded.Samples, 590, 620);
    }

    [Fact]
    public async Task HelpListsTheThreeCommands()
    {
        var (code, output, _) = await CliRunner.RunAsync("codec", "--help");
        Assert.Equal(0, code);
        foreach (string command in new[] { "codec encode IN -o CODES.safetensors", "codec decode CODES.safetensors -o OUT.wav", "codec roundtrip IN -o OUT.wav" })
            Assert.Contains(command, output);
        (_, output, _) = await CliRunner.RunAsync("--help");
        Assert.Contains("codec encode|decode|roundtrip", output);
    }

    /// <summary>Runs the CLI with its output in an empty folder: exit 2, one `error:` line holding <paramref name="expected"/>, no file left.</summary>
    static async Task AssertFailsCleanly(string[] args, string output, string expected)
    {
        using var dir = new TempDirectory();
        string path = Path.IsPathRooted(output) ? output : dir.File(output);
        var (code, _, error) = await CliRunner.RunAsync([.. args, "-o", path, "--device", "cpu"]);
        Assert.True(code == 2, error);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToList();
        Assert.Single(lines);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", error);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public Task ABundleWithoutAnEncoderIsNamed() =>
        AssertFailsCleanly(["codec", "encode", media.Wav, "--bundle", GoldenSets.Bundle("tiny")], "c.safetensors",
            "has no codec encoder (codec_encoder.safetensors");

    [Fact]
    public async Task TheDefaultModelRoundtripsThroughItsOwnEncoder()
    {
        using var dir = new TempDirectory();
        string roundtrip = dir.File("roundtrip.wav");
        var (code, output, error) = await CliRunner.RunAsync("codec", "roundtrip", media.Wav, "-o", roundtrip, "--device", "cpu");
        Assert.True(code == 0, error);
        Assert.Contains(V2Meow.Runtime.DefaultModel.Label, error);
        Assert.Contains("wrote", output);
        // The test WAV's 2.5 s, resampled to the default model's 16 kHz.
        Assert.Equal(40000, WavSamples(roundtrip));
    }

    [Theory]
    [InlineData("not-audio", "not an audio file")]
    [InlineData("empty", "file is empty")]
    [InlineData("video-only", "has no audio stream")]
    [InlineData("missing", "no such file")]
    public Task BadAudioIsNamed(string kind, string expected)
    {
        string input = kind switch
        {
            "not-audio" => media.NotAVideo,
            "empty" => media.Empty,
            "video-only" => media.Short,
            _ => Path.Combine(media.Folder, "nothing-here.wav"),
        };
        return AssertFailsCleanly(["codec", "encode", input, "--bundle", Bundle], "c.safetensors", expected);
    }

    [Fact]
    public Task TooManyLevelsAreRefused() =>
        AssertFailsCleanly(["codec", "roundtrip", media.Wav, "--bundle", Bundle, "--levels", "5"], "r.wav", "--levels 5: this codec has 4 levels");

    [Theory]
    [InlineData("levels", "codes of 5 levels; the codec of 'codec_encoder' has 4")]
    [InlineData("codebook", "codes from a codebook of 64; the codec of 'codec_encoder' has 32")]
    [InlineData("rate", "codes of 200 Hz audio at 6 samples a frame")]
    [InlineData("range", "level 0, frame 1: code 40 is outside [0, 32)")]
    [InlineData("not codes", "__metadata__ format: expected 'v2meow-codes/1'")]
    public Task CodesThatDoNotFitTheCodecAreRefused(string fault, string expected)
    {
        using var inputs = new TempDirectory();
        string codes = inputs.File("codes.safetensors");
        if (fault == "not codes")
            File.Copy(GoldenSets.Golden("tiny"), codes);
        else
        {
            int levels = fault == "levels" ? 5 : 2;
            var values = new int[levels * 3];
            if (fault == "range") values[1] = 40;
            CodesFile.Save(codes, new EncodedAudio(new AcousticCodes(levels, 3, values), 18, fault == "rate" ? 200 : 300, 6,
                fault == "codebook" ? 64 : 32, "codec_encoder"));
        }
        return AssertFailsCleanly(["codec", "decode", codes, "--bundle", Bundle], "d.wav", expected);
    }

    [Theory]
    [InlineData("encode", "c.wav", "cannot write a '.wav' file; use .safetensors")]
    [InlineData("decode", "d.mp4", "cannot write a '.mp4' file; use .wav")]
    [InlineData("roundtrip", "no-folder/r.wav", "does not exist")]
    public async Task OutputPathProblemsAreFoundBeforeAnyWork(string action, string output, string expected)
    {
        using var inputs = new TempDirectory();
        string input = media.Wav;
        if (action == "decode")
        {
            input = inputs.File("codes.safetensors");
            CodesFile.Save(input, new EncodedAudio(new AcousticCodes(1, 1, [0]), 6, 300, 6, 32, "codec_encoder"));
        }
        await AssertFailsCleanly(["codec", action, input, "--bundle", Bundle], output, expected);
    }

    [Fact]
    public async Task TheOutputMayNotBeTheInputOrADirectory()
    {
        using var dir = new TempDirectory();
        string wav = dir.File("in.wav");
        File.Copy(media.Wav, wav);
        byte[] before = File.ReadAllBytes(wav);
        var (code, _, error) = await CliRunner.RunAsync("codec", "roundtrip", wav, "-o", wav, "--bundle", Bundle, "--device", "cpu");
        Assert.Equal(2, code);
        Assert.Contains("is the input", error);
        Assert.Equal(before, File.ReadAllBytes(wav));

        Directory.CreateDirectory(dir.File("out.wav"));
        (code, _, error) = await CliRunner.RunAsync("codec", "roundtrip", wav, "-o", dir.File("out.wav"), "--bundle", Bundle, "--device", "cpu");
        Assert.Equal(2, code);
        Assert.Contains("is a directory", error);
    }

    [Theory]
    [InlineData(new[] { "codec" }, "codec needs a command")]
    [InlineData(new[] { "codec", "squash", "x" }, "unknown codec command 'squash'")]
    [InlineData(new[] { "codec", "encode" }, "codec encode needs an input")]
    [InlineData(new[] { "codec", "encode", "a.wav", "--levels", "two" }, "--levels: 'two' is not a whole number")]
    [InlineData(new[] { "codec", "decode", "a.safetensors", "--levels", "2" }, "--levels is for encode and roundtrip")]
    public async Task UsageErrorsAreOneLine(string[] args, string expected)
    {
        var (code, _, error) = await CliRunner.RunAsync(args);
        Assert.Equal(2, code);
        Assert.StartsWith($"error: {expected}", error);
    }
}
