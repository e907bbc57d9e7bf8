using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime;

/// <summary>
/// The one entry point of the library: opens any bundle this build knows, whatever its family, and returns
/// its pipeline behind <see cref="IMusicPipeline"/>.
/// <code>
/// using var model = MusicModel.Load("my-bundle");   // or MusicModel.LoadDefault()
/// var result = await model.GenerateAsync(new VideoInput { VideoPath = "clip.mp4" }, options, progress, token);
/// </code>
/// </summary>
public static partial class MusicModel
{
    /// <summary>
    /// Opens <paramref name="bundleFolder"/>, picks its family from config.json's format (an unknown one is a
    /// <see cref="Loaders.Bundles.BundleException"/> naming the formats this build knows), validates every
    /// tensor and loads it onto <paramref name="device"/>.
    /// </summary>
    public static IMusicPipeline Load(string bundleFolder, DeviceKind device = DeviceKind.Auto)
    {
        var family = ModelFamilies.Of(bundleFolder);
        var backend = DeviceCatalog.Open(device);
        try
        {
            return family.Load(bundleFolder, backend);
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    /// <summary>Loads the default model embedded in this library (see <see cref="DefaultModel"/>).</summary>
    public static IMusicPipeline LoadDefault(DeviceKind device = DeviceKind.Auto) => Load(DefaultModel.EnsureUnpacked(), device);

    /// <summary>
    /// Loads the model of <paramref name="family"/> ("v2meow", "vmas") embedded in this library; a
    /// <see cref="Loaders.Bundles.BundleException"/> names the families embedded when this build has none of it.
    /// </summary>
    public static IMusicPipeline LoadDefault(string family, DeviceKind device = DeviceKind.Auto)
    {
        ArgumentNullException.ThrowIfNull(family);
        var model = EmbeddedModels.ForFamily(family) ?? throw new Loaders.Bundles.BundleException(
            $"no embedded {family} model in this build; embedded: {string.Join(", ", EmbeddedModels.All.Select(m => m.Family))}");
        return Load(model.EnsureUnpacked(), device);
    }
}
