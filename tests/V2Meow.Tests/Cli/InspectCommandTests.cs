using V2Meow.Loaders.Safetensors;

namespace V2Meow.Tests.Cli;

public class InspectCommandTests
{
    [Fact]
    public void ListsTensorsAndMetadataOfAValidFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("w.safetensors");
        new SafetensorsWriter().AddMetadata("component", "stage1").AddFloat32("decoder.head.weight", [2, 3], new float[6]).Save(path);
        var (code, output, error) = CliRunner.Run("inspect", path);
        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Contains("decoder.head.weight", output);
        Assert.Contains("[2, 3]", output);
        Assert.Contains("component = stage1", output);
    }

    [Fact]
    public void InspectsEveryFileOfAFolder()
    {
        using var dir = new TempDirectory();
        new SafetensorsWriter().AddFloat32("a", [1], [1f]).Save(dir.File("stage1.safetensors"));
        new SafetensorsWriter().AddFloat32("b", [2], [1f, 2f]).Save(dir.File("codec.safetensors"));
        var (code, output, _) = CliRunner.Run("inspect", dir.Path);
        Assert.Equal(0, code);
        Assert.Contains("stage1.safetensors", output);
        Assert.Contains("codec.safetensors", output);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("missing")]
    [InlineData("empty-folder")]
    public void BadInputGivesOneErrorLineAndExitTwo(string kind)
    {
        using var dir = new TempDirectory();
        string path = kind switch
        {
            "truncated" => dir.File("t.safetensors"),
            "missing" => dir.File("nothing-here.safetensors"),
            _ => dir.Path,
        };
        if (kind == "truncated")
        {
            var bytes = new SafetensorsWriter().AddFloat32("a", [64], new float[64]).ToBytes();
            File.WriteAllBytes(path, bytes[..(bytes.Length - 10)]);
        }
        var (code, output, error) = CliRunner.Run("inspect", path);
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.Contains(path, error);
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("ok:", output);
    }

    [Fact]
    public void UnknownCommandIsAUsageError()
    {
        var (code, _, error) = CliRunner.Run("frobnicate");
        Assert.Equal(2, code);
        Assert.StartsWith("error: unknown command", error);
    }
}
