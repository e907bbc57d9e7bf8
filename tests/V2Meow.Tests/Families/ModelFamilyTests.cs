using System.Text.Json.Nodes;
using V2Meow.Loaders.Bundles;
using V2Meow.Runtime;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Backends.Cpu;
using V2Meow.Runtime.Codecs;
using V2Meow.Runtime.Codecs.Seanet;
using V2Meow.Runtime.Families.V2Meow;
using V2Meow.Tests.Cli;

namespace V2Meow.Tests.Families;

/// <summary>The family seam: one entry point picks a bundle's family from its format, and refuses formats it does not know.</summary>
public class ModelFamilyTests
{
    /// <summary>A copy of the tiny golden bundle whose config.json <paramref name="edit"/> changes.</summary>
    static string CopyBundle(TempDirectory dir, Action<JsonObject> edit)
    {
        string source = GoldenSets.Bundle("tiny");
        foreach (string file in Directory.GetFiles(source))
            File.Copy(file, dir.File(Path.GetFileName(file)));
        var config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!.AsObject();
        edit(config);
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());
        return dir.Path;
    }

    [Fact]
    public void LoadPicksTheFamilyFromTheBundlesFormat()
    {
        using var model = MusicModel.Load(GoldenSets.Bundle("tiny"), DeviceKind.Cpu);
        Assert.Equal("v2meow/1", model.Family.Format);
        Assert.Equal("v2meow", model.Family.Name);
        Assert.Same(ModelFamilies.Named("v2meow"), model.Family);
        Assert.IsType<V2MeowPipeline>(model);
        Assert.Equal("tiny", model.ModelName);
        Assert.Equal(Path.GetFullPath(GoldenSets.Bundle("tiny")), Path.GetFullPath(model.BundleFolder));
    }

    [Fact]
    public void EveryKnownFamilyHasItsOwnFormatAndName()
    {
        Assert.NotEmpty(ModelFamilies.Known);
        Assert.Equal(ModelFamilies.Known.Count, ModelFamilies.Known.Select(f => f.Format).Distinct().Count());
        Assert.Equal(ModelFamilies.Known.Count, ModelFamilies.Known.Select(f => f.Name).Distinct().Count());
        Assert.Null(ModelFamilies.Named("no-such-family"));
    }

    [Theory]
    [InlineData("vmas/2")]
    [InlineData("v2meow/2")]
    [InlineData("")]
    public void AnUnknownFormatIsRefusedNamingTheFileAndTheKnownFormats(string format)
    {
        using var dir = new TempDirectory();
        string bundle = CopyBundle(dir, c => c["format"] = format);
        var e = Assert.Throws<BundleException>(() => MusicModel.Load(bundle, DeviceKind.Cpu));
        Assert.Contains(Path.Combine(bundle, "config.json"), e.Message);
        Assert.Contains($"config.format '{format}' is not a format this build knows (v2meow/1, vmas/1)", e.Message);
    }

    [Fact]
    public void AMissingOrNonStringFormatIsRefusedByName()
    {
        using var missing = new TempDirectory();
        var e = Assert.Throws<BundleException>(() => ModelFamilies.Of(CopyBundle(missing, c => c.Remove("format"))));
        Assert.Contains("config.format: required", e.Message);

        using var number = new TempDirectory();
        e = Assert.Throws<BundleException>(() => ModelFamilies.Of(CopyBundle(number, c => c["format"] = 1)));
        Assert.Contains("config.format: expected a string, found Number", e.Message);

        using var array = new TempDirectory();
        File.WriteAllText(array.File("config.json"), "[1, 2]");
        e = Assert.Throws<BundleException>(() => ModelFamilies.Of(array.Path));
        Assert.Contains("expected a JSON object, found Array", e.Message);
    }

    [Fact]
    public void AnOversizedConfigIsRefusedBeforeItIsParsed()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("config.json"), "{\"format\": \"v2meow/1\", \"name\": \"" + new string('x', (int)BundleConfigReader.MaxConfigBytes) + "\"}");
        var e = Assert.Throws<BundleException>(() => ModelFamilies.Of(dir.Path));
        Assert.Contains($"a config.json is at most {BundleConfigReader.MaxConfigBytes} bytes", e.Message);
    }

    [Theory]
    [InlineData("generate")]
    [InlineData("verify")]
    [InlineData("inspect")]
    public void TheCliRefusesAnUnknownFormatWithOneErrorLine(string command)
    {
        using var dir = new TempDirectory();
        string bundle = CopyBundle(dir, c => c["format"] = "musicgen/1");
        string[] args = command switch
        {
            "generate" => ["generate", dir.File("config.json"), "--bundle", bundle, "--device", "cpu"],
            "verify" => ["verify", bundle, GoldenSets.Golden("tiny"), "--device", "cpu"],
            _ => ["inspect", bundle],
        };
        var (code, output, error) = CliRunner.Run(args);
        Assert.Equal(2, code);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var errorLine = Assert.Single(lines, l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains("config.format 'musicgen/1' is not a format this build knows (v2meow/1, vmas/1)", errorLine);
        Assert.DoesNotContain("   at ", error); // no stack trace
        Assert.DoesNotContain("wrote", output);
    }

    [Fact]
    public void CodecKindDefaultsToSoundStreamAndMayBeNamed()
    {
        var implicitKind = BundleConfigReader.Load(Path.Combine(GoldenSets.Bundle("tiny"), "config.json"));
        Assert.Equal("soundstream", implicitKind.Codec.Kind);

        using var dir = new TempDirectory();
        string bundle = CopyBundle(dir, c => c["codec"]!["kind"] = "soundstream");
        using var opened = Bundle.Open(bundle);
        Assert.Equal("soundstream", opened.Config.Codec.Kind);
        using var backend = new CpuBackend(1);
        using var decoder = CodecDecoders.Load(opened, backend);
        Assert.IsType<SeanetDecoder>(decoder);
        Assert.Equal("soundstream", decoder.Kind);
        Assert.Contains("soundstream", CodecDecoders.Kinds);
    }

    [Fact]
    public void AnUnknownCodecKindIsRefusedByField()
    {
        using var dir = new TempDirectory();
        string bundle = CopyBundle(dir, c => c["codec"]!["kind"] = "encodec9");
        var e = Assert.Throws<BundleException>(() => Bundle.Open(bundle));
        Assert.Contains("codec.kind", e.Message);
        Assert.Contains("encodec9", e.Message);
    }
}
