using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Families.V2Meow;
using V2Meow.Runtime.Families.Vmas;

namespace V2Meow.Runtime;

/// <summary>The model families this build knows, and the one a bundle folder belongs to.</summary>
public static class ModelFamilies
{
    /// <summary>Every family, by format. Immutable: a family is added here in code, not registered at run time.</summary>
    public static IReadOnlyList<ModelFamily> Known { get; } = [V2MeowFamily.Instance, VmasFamily.Instance];

    /// <summary>The formats of <see cref="Known"/>, as error messages list them.</summary>
    public static IReadOnlyList<string> Formats => Known.Select(f => f.Format).ToList();

    /// <summary>
    /// The family whose format <paramref name="bundleFolder"/>'s config.json declares. An unknown format is a
    /// <see cref="BundleException"/> naming the file and the formats this build knows.
    /// </summary>
    public static ModelFamily Of(string bundleFolder)
    {
        string format = BundleFormat.Read(bundleFolder);
        return Known.FirstOrDefault(f => f.Format == format)
            ?? throw new BundleException($"{Path.Combine(bundleFolder, "config.json")}: config.format '{Printable(format)}' is not a " +
                $"format this build knows ({string.Join(", ", Formats)})");
    }

    /// <summary>The family named <paramref name="name"/> ("v2meow"), or null.</summary>
    public static ModelFamily? Named(string name) => Known.FirstOrDefault(f => f.Name == name);

    /// <summary>A format string as an error line can show it: no control characters, not unbounded.</summary>
    static string Printable(string text)
    {
        var clean = new string(text.Select(c => char.IsControl(c) ? '?' : c).Take(80).ToArray());
        return text.Length > 80 ? clean + "…" : clean;
    }
}
