using System.Text.Json.Nodes;
using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Bundles.Vmas;

namespace V2Meow.Tests.Loaders;

/// <summary>
/// config.json's optional "contrastive" section (VMAS.md §14.1) as the C# reader reads it: its width, and for every bad
/// section one error naming the file and the field, as the reference's reader refuses it.
/// </summary>
public class VmasContrastiveConfigTests
{
    static string Config(JsonNode? section)
    {
        var root = JsonNode.Parse(File.ReadAllText(Path.Combine(GoldenSets.Bundle("vmas-match"), "config.json")))!.AsObject();
        root["contrastive"] = section;
        return root.ToJsonString();
    }

    [Fact]
    public void TheSectionGivesTheWidthAndItsAbsenceNone()
    {
        Assert.Equal(12, VmasConfigReader.Parse(Config(new JsonObject { ["dim"] = 12 }), "config.json").Contrastive!.Dim);
        var root = JsonNode.Parse(Config(null))!.AsObject();
        root.Remove("contrastive");
        Assert.Null(VmasConfigReader.Parse(root.ToJsonString(), "config.json").Contrastive);
    }

    public static TheoryData<string, string> BadSections() => new()
    {
        { "{}", "contrastive.dim" },
        { """{"dim": 0}""", "contrastive.dim" },
        { """{"dim": 65537}""", "contrastive.dim" },
        { """{"dim": 2.5}""", "contrastive.dim" },
        { """{"dim": 4, "temperature": 0.1}""", "temperature" },
        { "[4]", "contrastive" },
        { "null", "contrastive" },
    };

    [Theory]
    [MemberData(nameof(BadSections))]
    public void ABadSectionIsOneErrorNamingTheField(string section, string field)
    {
        var e = Assert.Throws<BundleException>(() => VmasConfigReader.Parse(Config(JsonNode.Parse(section)), "bundle/config.json"));
        Assert.StartsWith("bundle/config.json: ", e.Message);
        Assert.Contains(field, e.Message);
    }
}
