using V2Meow.Loaders.Bundles;
using V2Meow.Runtime;
using V2Meow.Runtime.Backends;

namespace V2Meow.Tests.Runtime;

/// <summary>The models compiled into the library: the V2Meow default first, the VMAs model beside it, each by its names.</summary>
public class EmbeddedModelsTests
{
    [Fact]
    public void TheDefaultIsTheV2MeowModelAndTheVmasModelIsEmbeddedBesideIt()
    {
        Assert.Equal(["v2meow", "vmas"], EmbeddedModels.All.Select(m => m.Family));
        Assert.Same(EmbeddedModels.All[0], EmbeddedModels.Default);
        Assert.Same(EmbeddedModels.Default, EmbeddedModels.Named("default"));
        foreach (var model in EmbeddedModels.All)
        {
            Assert.Same(model, EmbeddedModels.Named(model.Family));
            Assert.Same(model, EmbeddedModels.Named(model.Name));
            Assert.Contains(model.Family, MusicModel.Names);
            Assert.Contains(model.Name, MusicModel.Names);
        }
        Assert.Null(EmbeddedModels.Named("nonesuch"));
    }

    [Theory]
    [InlineData("v2meow")]
    [InlineData("vmas")]
    public void EachUnpacksOnceToABundleOfItsFamily(string family)
    {
        using var cache = new TempDirectory();
        var model = EmbeddedModels.ForFamily(family)!;
        string folder = model.EnsureUnpacked(cache.Path);
        Assert.Equal(folder, model.EnsureUnpacked(cache.Path));
        Assert.Equal([folder], Directory.GetDirectories(cache.Path)); // no staging folder left behind
        Assert.Equal(family, ModelFamilies.Of(folder).Name);
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "config.json")));
        Assert.Equal(model.Name, config.RootElement.GetProperty("name").GetString());
    }

    [Fact]
    public void NamesResolveToTheirEmbeddedBundles()
    {
        using var empty = new TempDirectory(); // resolved relative to a folder with no bundle folders in it
        Assert.Equal(EmbeddedModels.ForFamily("vmas")!.EnsureUnpacked(), MusicModel.FindBundle("vmas", empty.Path));
        Assert.Equal(DefaultModel.EnsureUnpacked(), MusicModel.FindBundle("default", empty.Path));
        var e = Assert.Throws<BundleException>(() => MusicModel.FindBundle("nonesuch", empty.Path));
        Assert.Contains("default, v2meow", e.Message);
    }

    [Fact]
    public void LoadingAFamilyThatIsNotEmbeddedNamesTheEmbeddedOnes()
    {
        var e = Assert.Throws<BundleException>(() => MusicModel.LoadDefault("nonesuch", DeviceKind.Cpu));
        Assert.Contains("embedded: v2meow, vmas", e.Message);
    }

    [Fact]
    public void TheEmbeddedVmasModelLoadsOnTheCpuBackendWithItsContrastiveProjections()
    {
        using var pipeline = MusicModel.LoadDefault("vmas", DeviceKind.Cpu);
        Assert.Equal("vmas", ModelFamilies.Of(pipeline.BundleFolder).Name);
        Assert.True(File.Exists(Path.Combine(pipeline.BundleFolder, "contrastive.safetensors")));
        Assert.True(File.Exists(Path.Combine(pipeline.BundleFolder, "codec_encoder.safetensors")));
    }
}
