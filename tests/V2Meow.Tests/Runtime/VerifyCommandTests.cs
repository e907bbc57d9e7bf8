using V2Meow.Loaders.Safetensors;
using V2Meow.Tests.Cli;

namespace V2Meow.Tests.Runtime;

/// <summary><c>v2meow verify</c>: exit 0 when every tensor passes the float64 rule, 1 naming the worst tensor, 2 on unreadable input.</summary>
public class VerifyCommandTests
{
    [Fact]
    public async Task PassingGoldenExitsZero()
    {
        var (code, output, _) = await CliRunner.RunAsync("verify", GoldenSets.Bundle("tiny"), GoldenSets.Golden("tiny"), "--device", "cpu");
        Assert.Equal(0, code);
        Assert.Contains("stage2.logits", output);
        Assert.Contains("sampling.tokens.t1.0.s7", output);
        // Per tensor: the runtime's and PyTorch-f32's error against float64, their ratio, the limit.
        Assert.Matches(@"runtime\s+torch f32\s+ratio\s+limit", output);
        Assert.Matches(@"(?m)^ok   stage2\.logits\s+\[\d+, \d+\]\s+\d\.\d\dE-\d+\s+\d\.\d\dE-\d+\s+\d+\.\d\d\s+\d\.\dE-\d+$", output);
        Assert.Contains("ok:", output);
    }

    /// <summary>
    /// A copy of the tiny golden with element <paramref name="index"/> of <paramref name="name"/> moved by
    /// <paramref name="shift"/> in both its float32 and its float64 tensor (when <paramref name="float64Too"/>),
    /// or with the tensor <paramref name="drop"/> left out.
    /// </summary>
    static void WriteAlteredGolden(string path, string? name, int index, double shift, bool float64Too, string? drop = null)
    {
        using var golden = SafetensorsFile.Open(GoldenSets.Golden("tiny"));
        var writer = new SafetensorsWriter();
        foreach (var (key, value) in golden.Metadata) writer.AddMetadata(key, value);
        foreach (var entry in golden.Tensors.OrderBy(t => t.Begin))
        {
            if (entry.Name == drop) continue;
            var bytes = golden.Get(entry.Name).Bytes.ToArray();
            if (entry.Name == name)
                BitConverter.GetBytes(BitConverter.ToSingle(bytes, 4 * index) + (float)shift).CopyTo(bytes, 4 * index);
            if (float64Too && entry.Name == "float64." + name)
                BitConverter.GetBytes(BitConverter.ToDouble(bytes, 8 * index) + shift).CopyTo(bytes, 8 * index);
            writer.Add(entry.Name, entry.DType, entry.Shape, bytes);
        }
        writer.Save(path);
    }

    [Fact]
    public async Task ARuntimeResultOffTheGoldenExitsOneNamingIt()
    {
        using var folder = new TempDirectory();
        string path = folder.File("golden.safetensors");
        // One logit of stage 3 moved by 1 in the float32 and the float64 golden alike: PyTorch-f32's error
        // against float64 is unchanged, while the runtime, which computes the old value, is now 1 off there,
        // far past 4× PyTorch's few 1e-7 of the tensor's scale.
        WriteAlteredGolden(path, "stage3.logits", 10, 1.0, float64Too: true);
        var (code, output, _) = await CliRunner.RunAsync("verify", GoldenSets.Bundle("tiny"), path, "--device", "cpu");
        Assert.Equal(1, code);
        Assert.Contains("FAIL stage3.logits", output);
        Assert.Contains("worst stage3.logits", output);
        Assert.Single(output.Split('\n'), line => line.StartsWith("FAIL ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AGoldenWithoutItsFloat64EvaluationExitsTwoNamingIt()
    {
        using var folder = new TempDirectory();
        string path = folder.File("golden.safetensors");
        WriteAlteredGolden(path, null, 0, 0, float64Too: false, drop: "float64.stage1.logits");
        var (code, _, error) = await CliRunner.RunAsync("verify", GoldenSets.Bundle("tiny"), path, "--device", "cpu");
        Assert.Equal(2, code);
        Assert.StartsWith("error:", error);
        Assert.Contains("'float64.stage1.logits'", error);
        Assert.Contains("missing", error);
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
