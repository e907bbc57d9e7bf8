using System.Text.Json;

namespace V2Meow.Loaders.Bundles;

/// <summary>
/// The <c>format</c> field of a bundle's config.json (SPEC §3.1), read before anything else so the runtime can
/// pick the model family that reads the rest. Only that field is looked at here; the family's own reader
/// validates the whole file.
/// </summary>
public static class BundleFormat
{
    /// <summary>The format string of the bundle in <paramref name="folder"/>, e.g. "v2meow/1".</summary>
    public static string Read(string folder)
    {
        if (!Directory.Exists(folder))
            throw new BundleException($"{folder}: bundle folder does not exist");
        string path = Path.Combine(folder, "config.json");
        if (!File.Exists(path))
            throw new BundleException($"{folder}: not a bundle; config.json is missing");

        // A regular file once links are followed, at most BundleConfigReader.MaxConfigBytes: the family's
        // reader applies the same rules to the same file.
        string text = BundleConfigReader.ReadText(path);

        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new BundleException($"{path}: expected a JSON object, found {document.RootElement.ValueKind}");
            if (!document.RootElement.TryGetProperty("format", out var format))
                throw new BundleException($"{path}: config.format: required (the model family, e.g. \"v2meow/1\")");
            if (format.ValueKind != JsonValueKind.String)
                throw new BundleException($"{path}: config.format: expected a string, found {format.ValueKind}");
            return format.GetString()!;
        }
        catch (JsonException e)
        {
            throw new BundleException($"{path}: not valid JSON: {e.Message}", e);
        }
    }
}
