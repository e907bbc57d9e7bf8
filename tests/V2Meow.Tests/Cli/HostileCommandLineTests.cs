using System.Diagnostics;
using System.Security.Cryptography;
using V2Meow.Loaders.Features;
using V2Meow.Runtime.Generation;
using V2Meow.Tests.Video;

namespace V2Meow.Tests.Cli;

/// <summary>
/// `v2meow generate` given outputs and options a hostile or careless user could give: each is refused
/// before any work with one error line, exit 2 and nothing written, or does what the user meant.
/// </summary>
[Collection(MediaCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // fake ffmpeg scripts, FIFOs, signals
public class HostileCommandLineTests(TestMedia media)
{
    [Fact]
    public async Task AnOutputThatIsTheInputIsRefusedBeforeAnyWork()
    {
        using var dir = new TempDirectory();
        string video = dir.File("clip.mp4");
        File.Copy(media.WithAudio, video);
        byte[] before = SHA256.HashData(File.ReadAllBytes(video));

        var (code, _, error) = await CliRunner.RunAsync("generate", video, "-o", video, "--device", "cpu");
        Assert.Equal(2, code);
        Assert.Contains($"error: {video}: is the input '{video}'", error);
        Assert.DoesNotContain("device:", error); // refused before the model was loaded

        // The same file under another name (a hard link) is still the input.
        string hard = dir.File("same.mp4");
        using (var ln = Process.Start("ln", [video, hard])!) ln.WaitForExit();
        (code, _, error) = await CliRunner.RunAsync("generate", video, "-o", hard, "--device", "cpu");
        Assert.Equal(2, code);
        Assert.Contains("is the input", error);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(video)));
    }

    [Fact]
    public async Task AnOutputThatIsALinkIsNotReplaced()
    {
        using var dir = new TempDirectory();
        string target = dir.File("precious.wav"), link = dir.File("link.wav");
        File.WriteAllText(target, "keep me");
        File.CreateSymbolicLink(link, target);
        var (code, _, error) = await CliRunner.RunAsync("generate", media.Short, "-o", link, "--device", "cpu");
        Assert.Equal(2, code);
        Assert.Contains($"error: {link}: is a symbolic link", error);
        Assert.Equal("keep me", File.ReadAllText(target));
        Assert.NotNull(new FileInfo(link).LinkTarget);
    }

    [Fact]
    public async Task AnOutputThatIsAFifoIsNotReplaced()
    {
        using var dir = new TempDirectory();
        string fifo = HostileVideoTests.MakeFifo(dir, "out.wav");
        var (code, _, error) = await CliRunner.RunAsync("generate", media.Short, "-o", fifo, "--device", "cpu");
        Assert.Equal(2, code);
        Assert.Contains($"error: {fifo}: is a FIFO (named pipe), not a regular file; refusing to replace it", error);
    }

    [Theory]
    [InlineData("x.txt", "cannot write a '.txt' file; use .wav, .mp4, .mkv or .mov")]
    [InlineData("missing/out.wav", "does not exist")]
    public async Task ABadOutputIsRefusedBeforeAnyWork(string output, string expected)
    {
        using var dir = new TempDirectory();
        var (code, _, error) = await CliRunner.RunAsync("generate", media.Short, "-o", dir.File(output), "--device", "cpu");
        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("device:", error);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Theory]
    [InlineData("100000")]
    [InlineData("2147483647")]
    public async Task CandidatesAreBounded(string candidates)
    {
        var (code, _, error) = await CliRunner.RunAsync("generate", media.Short, "--candidates", candidates, "--device", "cpu");
        Assert.Equal(2, code);
        Assert.Contains($"--candidates must be from 1 to {GenerationOptions.MaxCandidates}", error);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GenerationOptions { Candidates = int.Parse(candidates) }.Validate());
    }

    [Fact]
    public async Task APromptIsShownShortAndWithoutControlCharacters()
    {
        string prompt = "\u001b[31mzzz\r\n" + new string('q', 130_000);
        var (code, _, error) = await CliRunner.RunAsync("generate", media.Short, "--prompt", prompt, "--device", "cpu");
        Assert.Equal(2, code);
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.DoesNotContain('\u001b', line);
        Assert.DoesNotContain('\r', line);
        Assert.Contains("\\u001b[31mzzz", line);
        Assert.InRange(line.Length, 1, 2000);
    }

    [Fact]
    public async Task FeaturesDoNotSwallowTheVideo()
    {
        using var dir = new TempDirectory();
        // The default model reads the "builtin" stream at 3 fps: 0.4 s is 2 rows of 24.
        string features = dir.File("builtin.npy");
        NpyFile.Write(features, new float[2, 24]);
        var (code, _, error) = await CliRunner.RunAsync("generate", "--features", features, media.Short, "-o", dir.File("out.wav"), "--device", "cpu");
        Assert.True(code == 0, error);
        Assert.True(File.Exists(dir.File("out.wav")));
    }

    [Fact]
    public async Task TheWrapperKeepsTheCallersFolder()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File("weights"));
        File.Copy(Path.Combine(GoldenSets.Bundle("tiny"), "stage1.safetensors"), dir.File(Path.Combine("weights", "stage1.safetensors")));
        string wrapper = Path.Combine(GoldenSets.Root, "..", "..", "v2meow");
        var info = new ProcessStartInfo("bash") { WorkingDirectory = dir.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { wrapper, "inspect", "weights/stage1.safetensors" }) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, error);
        Assert.Contains("ok: every file validated", await output);
    }

    [Fact]
    public async Task SigtermDuringTheMuxCleansUpLikeCtrlC()
    {
        using var dir = new TempDirectory();
        using var temp = new TempDirectory();
        using var fake = new TempDirectory();
        string marker = fake.File("ffmpeg.pid");
        // ffmpeg that decodes as the real one (the extractor reads frames from pipe:1) but, when muxing,
        // leaves a partial file behind and waits to be stopped, as a long mux would.
        File.WriteAllText(fake.File("ffmpeg"), $"""
            #!/bin/sh
            for last; do :; done
            if [ "$last" = "pipe:1" ]; then exec "{Which("ffmpeg")}" "$@"; fi
            echo partial > "${"{"}last#file:{"}"}"
            echo $$ > "{marker}"
            exec sleep 120
            """.Replace("\r", ""));
        File.SetUnixFileMode(fake.File("ffmpeg"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.CreateSymbolicLink(fake.File("ffprobe"), Which("ffprobe"));

        var environment = new Dictionary<string, string>
        {
            ["PATH"] = fake.Path + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["TMPDIR"] = temp.Path,
        };
        using var cli = CliProcess.Start(dir.Path, environment, "generate", media.Short, "-o", dir.File("out.mp4"), "--device", "cpu");
        for (var waited = Stopwatch.StartNew(); !File.Exists(marker) || new FileInfo(marker).Length == 0; await Task.Delay(100))
            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(3), "the mux never started");
        int ffmpeg = int.Parse(File.ReadAllText(marker).Trim());
        Assert.NotEmpty(Directory.GetFiles(dir.Path)); // the partial file is there while ffmpeg runs

        cli.Terminate();
        var (code, _, error) = await cli.WaitAsync();
        Assert.True(code == 2, error);
        Assert.Empty(Directory.GetFiles(dir.Path));   // neither out.mp4 nor the .partial
        Assert.Empty(Directory.GetFiles(temp.Path));  // nor the temporary WAV
        for (var waited = Stopwatch.StartNew(); Directory.Exists($"/proc/{ffmpeg}") && waited.Elapsed < TimeSpan.FromSeconds(30);)
            await Task.Delay(100);
        Assert.False(Directory.Exists($"/proc/{ffmpeg}"), "ffmpeg outlived the CLI");
    }

    static string Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, tool)).First(File.Exists);
}
