using V2Meow.Runtime.Batch;

namespace V2Meow.Tests.Batch;

/// <summary>Reading manifests: both formats, every field, and lines a hostile or careless user writes.</summary>
public class ManifestTests
{
    static Manifest Write(TempDirectory dir, string name, string text)
    {
        File.WriteAllText(dir.File(name), text);
        return Manifest.Read(dir.File(name));
    }

    [Fact]
    public void JsonLinesGiveEveryField()
    {
        using var dir = new TempDirectory();
        var m = Write(dir, "m.jsonl", """
            {"video": "in/a.mp4", "output": "out/a.wav", "seed": 7, "prompt": "slow dark piano", "model": "default", "candidates": 2, "id": "a"}

            {"video": "/abs/b.mp4", "output": "b.mp4", "style": "s.npy", "features": {"clip": "f.npy"}, "seed": "18446744073709551615"}
            """);
        Assert.Equal(2, m.Items.Count);
        var a = m.Items[0];
        Assert.Null(a.Problem);
        Assert.Equal((0, 1, "a", "in/a.mp4", "out/a.wav", 7UL, "slow dark piano", "default", 2), (a.Index, a.Line, a.Id, a.Video, a.Output, a.Seed, a.Prompt, a.Model, a.Candidates));
        var b = m.Items[1];
        Assert.Null(b.Problem);
        Assert.Equal((1, 3, ulong.MaxValue, "s.npy", "f.npy"), (b.Index, b.Line, b.Seed, b.StyleFile, b.Features["clip"]));
        // Relative paths are the manifest folder's, absolute ones stay.
        Assert.Equal(Path.Combine(dir.Path, "out", "a.0.wav"), m.OutputsOf(a)[0]);
        Assert.Equal(Path.Combine(dir.Path, "out", "a.1.wav"), m.OutputsOf(a)[1]);
        Assert.Equal("/abs/b.mp4", m.Resolve(b.Video));
    }

    [Fact]
    public void CsvReadsQuotedCellsAndFeatureColumns()
    {
        using var dir = new TempDirectory();
        var m = Write(dir, "m.csv", "video,output,seed,prompt,features.clip\r\n" +
            "in/a.mp4,out/a.wav,3,,f.npy\r\n" +
            "\"in/b, the second.mp4\",\"out/b \"\"quoted\"\".wav\",,\"fast\nbright\",\n");
        Assert.Equal(2, m.Items.Count);
        Assert.Null(m.Items[0].Problem);
        Assert.Equal((3UL, (string?)null, "f.npy"), (m.Items[0].Seed, m.Items[0].Prompt, m.Items[0].Features["clip"]));
        var b = m.Items[1];
        Assert.Null(b.Problem);
        Assert.Equal(("in/b, the second.mp4", "out/b \"quoted\".wav", "fast\nbright", 3), (b.Video, b.Output, b.Prompt, b.Line));
        Assert.Empty(b.Features);
    }

    public static TheoryData<string, string> HostileLines() => new()
    {
        { """{"video": "a.mp4"}""", "missing field 'output'" },
        { """{"output": "a.wav"}""", "missing field 'video'" },
        { """{"video": "a.mp4", "output": "a.wav", "ouput": "b.wav"}""", "unknown field 'ouput'" },
        { """{"video": "a.mp4", "output": "a.wav", "seed": -1}""", "'seed': '-1' is not a whole number" },
        { """{"video": "a.mp4", "output": "a.wav", "seed": 1.5}""", "'seed'" },
        { """{"video": "a.mp4", "output": "a.wav", "candidates": 65}""", "'candidates': '65'" },
        { """{"video": "a.mp4", "output": "a.wav", "prompt": "x", "style": "s.npy"}""", "give 'prompt' or 'style', not both" },
        { """{"video": ["a.mp4"], "output": "a.wav"}""", "'video': expected a string, found an array" },
        { """{"video": "a.mp4", "output": "a.wav", "features": "f.npy"}""", "expected an object of stream name to file" },
        { """{"video": "a\u0000.mp4", "output": "a.wav"}""", "not a usable path" },
        { """{"video": "\ud800.mp4", "output": "a.wav"}""", "not a usable path" },
        { """["a.mp4", "a.wav"]""", "expected a JSON object, found an array" },
        { """{"video": "a.mp4", "output": "a.wav",""", "not a JSON object" },
        { """{"video": "a.mp4", "video": "b.mp4", "output": "a.wav"}""", "field 'video' given twice" },
    };

    [Theory]
    [MemberData(nameof(HostileLines))]
    public void AHostileLineIsThatLinesProblemAndTheOthersStand(string line, string problem)
    {
        using var dir = new TempDirectory();
        var m = Write(dir, "m.jsonl", $"{{\"video\": \"ok.mp4\", \"output\": \"ok.wav\"}}\n{line}\n{{\"video\": \"ok2.mp4\", \"output\": \"ok2.wav\"}}\n");
        Assert.Equal(3, m.Items.Count);
        Assert.Null(m.Items[0].Problem);
        Assert.Contains(problem, m.Items[1].Problem);
        Assert.Null(m.Items[2].Problem);
    }

    [Fact]
    public void AnOutputWrittenTwiceFailsTheLaterLines()
    {
        using var dir = new TempDirectory();
        var m = Write(dir, "m.jsonl", """
            {"video": "a.mp4", "output": "out/x.wav", "candidates": 2}
            {"video": "b.mp4", "output": "out/./x.1.wav"}
            {"video": "c.mp4", "output": "out/x.wav"}
            {"video": "d.mp4", "output": "a.mp4"}
            {"video": "e.mp4", "output": "e.wav", "id": "same"}
            {"video": "f.mp4", "output": "f.wav", "id": "same"}
            """);
        Assert.Null(m.Items[0].Problem);
        Assert.Contains("is also written by line 1", m.Items[1].Problem); // candidate 1 of line 1
        Assert.Null(m.Items[2].Problem); // out/x.wav itself is not written by line 1 (it writes x.0 and x.1)
        Assert.Contains("is the video of line 1", m.Items[3].Problem);
        Assert.Null(m.Items[4].Problem);
        Assert.Contains("id 'same' is also line 5", m.Items[5].Problem);
    }

    [Theory]
    [InlineData("m.csv", "video,ouput\na.mp4,a.wav\n", "column 2 'ouput' is not a field")]
    [InlineData("m.csv", "video,seed\na.mp4,1\n", "no 'output' column")]
    [InlineData("m.csv", "video,output,video\na,b,c\n", "appears twice")]
    [InlineData("m.csv", "", "empty")]
    [InlineData("m.jsonl", "\n\n", "no items")]
    public void AnUnusableManifestIsOneError(string name, string text, string message)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File(name), text);
        var e = Assert.Throws<BatchException>(() => Manifest.Read(dir.File(name)));
        Assert.Contains(message, e.Message);
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void ADirectoryOrNothingIsNoManifest()
    {
        using var dir = new TempDirectory();
        Assert.Contains("is a directory", Assert.Throws<BatchException>(() => Manifest.Read(dir.Path)).Message);
        Assert.Contains("file not found", Assert.Throws<BatchException>(() => Manifest.Read(dir.File("none.jsonl"))).Message);
    }

    [Fact]
    public void ACsvRowOfTheWrongWidthIsThatRowsProblem()
    {
        using var dir = new TempDirectory();
        var m = Write(dir, "m.csv", "video,output\na.mp4,a.wav\nb.mp4\n\"c.mp4,c.wav\n");
        Assert.Null(m.Items[0].Problem);
        Assert.Contains("1 cells, but the header row has 2 columns", m.Items[1].Problem);
        Assert.Contains("not closed", m.Items[2].Problem);
    }
}
