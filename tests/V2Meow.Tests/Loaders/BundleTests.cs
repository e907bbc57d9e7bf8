using System.Text.Json.Nodes;
using V2Meow.Cli;
using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;

namespace V2Meow.Tests.Loaders;

/// <summary>The C# loader and the reference's check.py agree on what a conformant bundle is.</summary>
public class BundleTests
{
    [Fact]
    public void GoldenSetsAreCommitted() => Assert.True(GoldenSets.Names.Count() >= 3, "expected tiny, odd and enc_dec golden sets");

    [Theory]
    [MemberData(nameof(GoldenSets.All), MemberType = typeof(GoldenSets))]
    public async Task EveryExportedBundleOpensAndInspects(string set)
    {
        using (var bundle = Bundle.Open(GoldenSets.Bundle(set)))
        {
            foreach (var component in BundleConfig.Components)
                Assert.Equal(BundleLayout.Expected(bundle.Config, component).Count, bundle.Component(component).Tensors.Count);
        }
        Assert.Equal(0, await CommandLine.RunAsync(["inspect", GoldenSets.Bundle(set)], TextWriter.Null, TextWriter.Null));
    }

    /// <summary>Copies the tiny bundle, rewriting stage2.safetensors through <paramref name="edit"/>.</summary>
    static TempDirectory TinyWithStage2(Func<TensorEntry, (string Name, long[] Shape)?> edit, bool fixData = false)
    {
        var dir = new TempDirectory();
        foreach (string f in Directory.GetFiles(GoldenSets.Bundle("tiny")))
            File.Copy(f, Path.Combine(dir.Path, Path.GetFileName(f)));
        string path = Path.Combine(dir.Path, "stage2.safetensors");
        var writer = new SafetensorsWriter();
        using (var file = SafetensorsFile.Open(path))
        {
            foreach (var (k, v) in file.Metadata) writer.AddMetadata(k, v);
            foreach (var entry in file.Tensors)
            {
                var change = edit(entry);
                if (change is null) continue;
                var (name, shape) = change.Value;
                byte[] data = file.Get(entry.Name).Bytes.ToArray();
                if (fixData) Array.Resize(ref data, (int)(shape.Aggregate(1L, (a, b) => a * b) * 4));
                writer.Add(name, entry.DType, shape, data);
            }
        }
        writer.Save(path);
        return dir;
    }

    public static TheoryData<string> Breakages() => new() { "missing", "renamed", "reshaped" };

    [Theory]
    [MemberData(nameof(Breakages))]
    public async Task BrokenTensorIsRefusedNamingIt(string breakage)
    {
        const string victim = "decoder.layers.1.ffn.up.weight";
        using var dir = breakage switch
        {
            "missing" => TinyWithStage2(e => e.Name == victim ? null : (e.Name, e.Shape)),
            "renamed" => TinyWithStage2(e => e.Name == victim ? ("decoder.layers.1.ffn.upp.weight", e.Shape) : (e.Name, e.Shape)),
            _ => TinyWithStage2(e => e.Name == victim ? (e.Name, [e.Shape[1], e.Shape[0]]) : (e.Name, e.Shape)),
        };
        var error = Assert.Throws<SafetensorsFormatException>(() => Bundle.Open(dir.Path));
        Assert.Contains(breakage == "renamed" ? "decoder.layers.1.ffn" : victim, error.Message);
        Assert.Contains("stage2.safetensors", error.Message);

        var stderr = new StringWriter();
        int code = await CommandLine.RunAsync(["inspect", dir.Path], TextWriter.Null, stderr);
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", stderr.ToString());
    }

    [Fact]
    public void MissingComponentIsNamed()
    {
        using var dir = new TempDirectory();
        foreach (string f in Directory.GetFiles(GoldenSets.Bundle("tiny")))
            if (!f.EndsWith("codec.safetensors")) File.Copy(f, Path.Combine(dir.Path, Path.GetFileName(f)));
        var error = Assert.Throws<BundleException>(() => Bundle.Open(dir.Path));
        Assert.Contains("'codec'", error.Message);
    }

    [Theory]
    [InlineData("""{"format":"v2meow/2"}""", "config.format")]
    [InlineData("""{"format":"v2meow/1","stage1":{"encoder_layers":1}}""", "config.json: stage1.d_model: required")]
    [InlineData("""{"format":"v2meow/1","tokens":{"codebook_size":0}}""", "tokens.codebook_size: expected an integer in [1, 65536]")]
    [InlineData("not json", "not valid JSON")]
    public void BadConfigNamesTheField(string json, string expected)
    {
        var error = Assert.Throws<BundleException>(() => BundleConfigReader.Parse(json, "config.json"));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void SnakeCodecDeclaresItsAlphas()
    {
        using var bundle = Bundle.Open(GoldenSets.Bundle("odd"));
        var codec = bundle.Config.Codec;
        Assert.True(codec.IsSnake);
        var alphas = BundleLayout.Expected(bundle.Config, "codec").Where(t => t.Key.EndsWith(".alpha")).ToDictionary();
        Assert.Equal(codec.Strides.Count * (1 + 2 * codec.ResidualDilations.Count) + 1, alphas.Count);
        Assert.Equal([codec.Channels[^1]], alphas["decoder.out_act.alpha"]);

        string json = File.ReadAllText(Path.Combine(GoldenSets.Bundle("odd"), "config.json"));
        var error = Assert.Throws<BundleException>(() =>
            BundleConfigReader.Parse(json.Replace("\"snake\"", "\"relu\""), "config.json"));
        Assert.Contains("codec.activation", error.Message);
        // Absent means ELU, so bundles written before the field existed still load.
        Assert.False(BundleConfigReader.Parse(json.Replace("\"activation\": \"snake\",", ""), "config.json").Codec.IsSnake);
    }

    [Fact]
    public void Stage2LayoutIsReadAndChecked()
    {
        string json = File.ReadAllText(Path.Combine(GoldenSets.Bundle("odd"), "config.json"));
        var config = BundleConfigReader.Parse(json, "config.json");
        Assert.True(config.Stage2.IsInterleaved);
        Assert.Equal(2, config.FramesPerSemantic);
        var error = Assert.Throws<BundleException>(() => BundleConfigReader.Parse(json.Replace("\"interleaved\"", "\"sideways\""), "config.json"));
        Assert.Contains("stage2.layout", error.Message);
        // 50 Hz frames over 20 Hz semantic tokens: no whole number of frames per token to interleave.
        error = Assert.Throws<BundleException>(() => BundleConfigReader.Parse(json.Replace("\"semantic_hz\": 25", "\"semantic_hz\": 20"), "config.json"));
        Assert.Contains("stage2.layout", error.Message);
        Assert.Contains("50 / 20", error.Message);
        // Absent means the prefix layout, so bundles written before the field existed still load.
        Assert.False(BundleConfigReader.Parse(json.Replace("\"layout\": \"interleaved\",", ""), "config.json").Stage2.IsInterleaved);
    }

    [Fact]
    public void Stage1TimeEmbeddingIsReadAndChecked()
    {
        string json = File.ReadAllText(Path.Combine(GoldenSets.Bundle("enc_dec"), "config.json"));
        Assert.Equal(new TimeEmbeddingConfig(0.5, 30), BundleConfigReader.Parse(json, "config.json").Stage1.TimeEmbedding);

        static string With(string json, string timeEmbedding)
        {
            var root = JsonNode.Parse(json)!;
            root["stage1"]!["time_embedding"] = JsonNode.Parse(timeEmbedding);
            return root.ToJsonString();
        }
        var error = Assert.Throws<BundleException>(() => BundleConfigReader.Parse(With(json, """{"min_period": 3, "max_period": 3}"""), "config.json"));
        Assert.Contains("stage1.time_embedding.max_period: expected > min_period (3), found 3", error.Message);
        error = Assert.Throws<BundleException>(() => BundleConfigReader.Parse(With(json, """{"min_period": 1, "max_period": 3, "scale": 2}"""), "config.json"));
        Assert.Contains("stage1.time_embedding.scale: unknown field", error.Message);
        error = Assert.Throws<BundleException>(() => BundleConfigReader.Parse(With(json, "[0.5, 30]"), "config.json"));
        Assert.Contains("stage1.time_embedding", error.Message);
        // Absent or null means none, so bundles written before the field existed still load.
        Assert.Null(BundleConfigReader.Parse(With(json, "null"), "config.json").Stage1.TimeEmbedding);
        string tiny = File.ReadAllText(Path.Combine(GoldenSets.Bundle("tiny"), "config.json"));
        Assert.Null(BundleConfigReader.Parse(tiny, "config.json").Stage1.TimeEmbedding);
    }

    [Fact]
    public void ConfigDefaultsMatchTheSpec()
    {
        using var bundle = Bundle.Open(GoldenSets.Bundle("tiny"));
        var c = bundle.Config;
        Assert.Equal(1.0 / Math.Sqrt(c.Stage1.HeadDim), c.Stage1.AttentionScale, 12);
        Assert.Equal(c.Rates.SampleRate, c.Rates.AcousticHz * c.Hop, 9);
        Assert.Equal(c.Tokens.SemanticCodes + 1, c.VocabSize(StageId.Stage1));
    }
}
