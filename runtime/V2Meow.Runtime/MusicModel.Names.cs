using V2Meow.Loaders.Bundles;

namespace V2Meow.Runtime;

public static partial class MusicModel
{
    /// <summary>
    /// The model names this build resolves without a bundle folder: "default", and each embedded model's family
    /// ("v2meow", "vmas") and bundle name (<see cref="EmbeddedModels"/>). A manifest's <c>model</c>, the CLI's
    /// <c>--model</c> and an app's settings can name a model by these.
    /// </summary>
    public static IReadOnlyList<string> Names => EmbeddedNames.Value;

    static readonly Lazy<IReadOnlyList<string>> EmbeddedNames = new(() =>
    {
        var names = new List<string> { "default" };
        foreach (var model in EmbeddedModels.All)
            foreach (string name in new[] { model.Family, model.Name })
                if (name.Length > 0 && !names.Contains(name)) names.Add(name);
        return names;
    });

    /// <summary>
    /// The bundle folder <paramref name="model"/> names: a folder (relative to <paramref name="relativeTo"/>,
    /// else the working folder) when one exists there, else one of <see cref="Names"/>. Anything else is a
    /// <see cref="BundleException"/> naming what was looked for and the names this build knows.
    /// </summary>
    public static string FindBundle(string model, string? relativeTo = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        string folder = Path.GetFullPath(Path.Combine(relativeTo ?? Directory.GetCurrentDirectory(), model));
        if (Directory.Exists(folder)) return folder;
        if (EmbeddedModels.Named(model) is { } embedded) return embedded.EnsureUnpacked();
        if (ModelFamilies.Named(model) is { } family)
            throw new BundleException($"model '{model}': this build runs the {family.Name} family ({family.Format}) but embeds no {family.Name} model; " +
                "give the bundle folder instead");
        throw new BundleException($"model '{model}': no bundle folder {folder}, and not a model this build knows ({string.Join(", ", Names)})");
    }

    /// <summary>Loads the model <paramref name="model"/> names (see <see cref="FindBundle"/>) onto <paramref name="device"/>.</summary>
    public static IMusicPipeline LoadNamed(string model, Backends.DeviceKind device = Backends.DeviceKind.Auto, string? relativeTo = null) =>
        Load(FindBundle(model, relativeTo), device);
}
