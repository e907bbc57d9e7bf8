using System.Text;
using V2Meow.Runtime.Batch;

namespace V2Meow.Tests.Batch;

/// <summary>The results file: lines as items finish, read back after a crash.</summary>
public class ResultsJournalTests
{
    static BatchResult Ok(int line, string output) => new()
    {
        Item = line, Status = BatchItemStatus.Ok, Video = "v.mp4", Output = output, Outputs = [output], Seconds = 1.5,
    };

    [Fact]
    public void LinesReadBackAsWritten()
    {
        using var dir = new TempDirectory();
        using (var journal = ResultsJournal.Open(dir.File("r.jsonl")))
        {
            journal.Append(Ok(1, "a.wav"));
            journal.Append(new BatchResult { Item = 2, Id = "b", Status = BatchItemStatus.Failed, Output = "b.wav", Error = "x: it's \"bad\"" });
        }
        var lines = ResultsJournal.Read(dir.File("r.jsonl"));
        Assert.Equal(2, lines.Count);
        Assert.Equal((1, BatchItemStatus.Ok, "a.wav", 1.5), (lines[0].Item, lines[0].Status, lines[0].Output, lines[0].Seconds));
        Assert.Equal(("b", BatchItemStatus.Failed, "x: it's \"bad\""), (lines[1].Id, lines[1].Status, lines[1].Error));
        // Readable with grep: quotes are not escaped as \u0027.
        Assert.Contains("it's", File.ReadAllText(dir.File("r.jsonl")));
    }

    [Fact]
    public void ATornLastLineIsIgnoredAndTheNextLineStartsFresh()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("r.jsonl"), Encoding.UTF8.GetString(ResultsJournal.Format(Ok(1, "a.wav"))) + "{\"item\": 2, \"status\": \"o");
        using (var journal = ResultsJournal.Open(dir.File("r.jsonl")))
        {
            Assert.Single(journal.Existing);
            journal.Append(Ok(3, "c.wav"));
        }
        var lines = ResultsJournal.Read(dir.File("r.jsonl"));
        Assert.Equal([1, 3], lines.Select(l => l.Item));
    }

    [Fact]
    public void ALoneSurrogateIsWrittenAsAReplacementCharacter()
    {
        byte[] line = ResultsJournal.Format(Ok(1, "a\ud800.wav"));
        Assert.Contains("a\uFFFD.wav", Encoding.UTF8.GetString(line));
    }

    [Fact]
    public void TheDefaultPathNamesTheShard()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("cat.jsonl"), "{\"video\": \"a.mp4\", \"output\": \"a.wav\"}\n");
        var manifest = Manifest.Read(dir.File("cat.jsonl"));
        Assert.Equal(dir.File("cat.results.jsonl"), ResultsJournal.DefaultPath(manifest, ShardSpec.All));
        Assert.Equal(dir.File("cat.results.2-of-4.jsonl"), ResultsJournal.DefaultPath(manifest, new ShardSpec(2, 4)));
    }

    [Fact]
    public void TheSameResultsFileIsOpenInOneBatchAtATime()
    {
        // The same shard started twice: the second stops with an error instead of both writing.
        using var dir = new TempDirectory();
        using var first = ResultsJournal.Open(dir.File("r.jsonl"));
        var e = Assert.Throws<BatchException>(() => ResultsJournal.Open(dir.File("r.jsonl")));
        Assert.Contains("already running", e.Message);
    }

    [Fact]
    public void ADirectoryIsNoResultsFile()
    {
        using var dir = new TempDirectory();
        Assert.Contains("is a directory", Assert.Throws<BatchException>(() => ResultsJournal.Open(dir.Path)).Message);
    }

    [Fact]
    public void TemporaryNamesAreRecognisedExactly()
    {
        const string guid = "0123456789abcdef0123456789abcdef";
        Assert.Equal("a.wav", BatchRunner.TemporaryOf($".a.wav.{guid}.tmp"));
        Assert.Equal("b c.mp4", BatchRunner.TemporaryOf($".b c.mp4.{guid}.partial"));
        Assert.Null(BatchRunner.TemporaryOf($"a.wav.{guid}.tmp"));
        Assert.Null(BatchRunner.TemporaryOf($".a.wav.{guid.ToUpperInvariant()}.tmp"));
        Assert.Null(BatchRunner.TemporaryOf(".a.wav.tmp"));
    }
}
