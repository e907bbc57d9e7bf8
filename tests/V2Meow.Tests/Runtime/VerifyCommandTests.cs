using V2Meow.Tests.Cli;
using V2Meow.Loaders.Safetensors;

namespace V2Meow.Tests.Runtime;

/// <summary><c>v2meow verify</c>: exit 0 within tolerance, 1 naming the worst tensor, 2 on unreadable input.</summary>
public class VerifyCommandTests
{
    [Fact]
    public async Task PassingGoldenExitsZero()
    {
        var (code, output, _) = await CliRunner.RunAsync("verify", GoldenSets.Bundle("tiny"), GoldenSets.Golden("tiny"), "--device", "cpu");
        Assert.Equal(0, code);
        Assert.Contains("stage2.logits", output);
        Assert.Contains("sampling.tokens.t1.0.s7", output);
        Assert.Contains("ok:", output);
    }

    [Fact]
    public async Task TamperedTensorExitsOneNamingIt()
    {
        using var folder = new TempDirectory();
        string path = folder.File("golden.safetensors");
        // The tiny golden with one logit of stage 3 moved by 1: far past 1e-4 of the tensor's scale.
        using (var golden = SafetensorsFile.Open(GoldenSets.Golden("tiny")))
        {
            var writer = new SafetensorsWriter();
            foreach (var (key, value) in golden.Metadata) writer.AddMetadata(key, value);
            foreach (var entry in golden.Tensors.OrderBy(t => t.Begin))
            {
                var bytes = golden.Get(entry.Name).Bytes.ToArray();
                if (entry.Name == "stage3.logits") BitConverter.GetBytes(BitConverter.ToSingle(bytes, 40) + 1f).CopyTo(bytes, 40);
                writer.Add(entry.Name, entry.DType, entry.Shape, bytes);
            }
            writer.Save(path);
        }
        var (code, output, _) = await CliRunner.RunAsync("verify", GoldenSets.Bundle("tiny"), path, "--device", "cpu");
        Assert.Equal(1, code);
        Assert.Contains("FAIL stage3.logits", output);
        Assert.Contains("worst stage3.logits", output);
    }

    [Fact]
    public async Task UnreadableGoldenExitsTwo()
    {
        using var folder = new TempDirectory();
        string path = folder.File("golden.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        var (code, _, error) = await CliRunner.RunAsync("verify", GoldenSets.Bundle("tiny"), path, "--device", "cpu");
        Assert.Equal(2, code);
        Assert.StartsWith("error:", error);
        Assert.Contains("golden.safetensors", error);
    }

    [Fact]
    public async Task WrongArgumentsAreAUsageError()
    {
        var (code, _, error) = await CliRunner.RunAsync("verify", GoldenSets.Bundle("tiny"));
        Assert.Equal(2, code);
        Assert.Contains("usage: v2meow verify", error);
    }
}
