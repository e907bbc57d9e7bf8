using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;

namespace V2Meow.Runtime.Inspection;

/// <summary>One validated safetensors file: its metadata and tensor entries.</summary>
public sealed record InspectedFile(string Path, long Bytes, IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<TensorEntry> Tensors);

/// <summary>
/// Validates a .safetensors file or a bundle folder and reports what it holds, as <c>v2meow inspect</c>
/// prints it. Any malformed input raises the loader's typed exception.
/// </summary>
public static class WeightsInspector
{
    /// <summary>
    /// Validates the .safetensors file or bundle folder at <paramref name="path"/>; for a bundle folder the family validates it first, then
    /// lists each .safetensors file in it.
    /// </summary>
    public static IReadOnlyList<InspectedFile> Inspect(string path)
    {
        if (File.Exists(path)) return [InspectFile(path)];
        if (!Directory.Exists(path))
            throw new BundleException($"{path}: no such file or directory");

        string[] files = Directory.GetFiles(path, "*.safetensors").OrderBy(f => f, StringComparer.Ordinal).ToArray();
        if (files.Length == 0)
            throw new BundleException($"{path}: not a bundle; the folder holds no .safetensors files");
        if (File.Exists(System.IO.Path.Combine(path, "config.json")))
            ModelFamilies.Of(path).Validate(path); // the family's full SPEC validation: config, components, every tensor, text tower
        return files.Select(InspectFile).ToList();
    }

    static InspectedFile InspectFile(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return new InspectedFile(path, file.Length, file.Metadata, file.Tensors.ToList());
    }
}
