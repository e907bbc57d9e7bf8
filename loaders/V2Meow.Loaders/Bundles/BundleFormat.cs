using System.Text.Json;

namespace V2Meow.Loaders.Bundles;

/// <summary>
/// The <c>format</c> field of a bundle's config.json (SPEC §3.1), read before anything else so the runtime can
/// pick the model family that reads the rest. Only that field is looked at here; the family's own reader
/// validates the whole file.
/// </summary>
public static class BundleFormat
{
    /// <summary>config.json larger than this is refused before it is parsed: real configs are a few kB.</summary>
    public const long MaxConfigBytes = 1 << 20;

    /// <summary>The format string of the bundle in <paramref name="folder"/>, e.g. "v2meow/1".</summary>
    public static string Read(string folder)
    {
        if (!Directory.Exists(folder))
            throw new BundleException($"{folder}: bundle folder does not exist");
        string path = Path.Combine(folder, "config.json");
        if (!File.Exists(path))
            throw new BundleException($"{folder}: not a bundle; config.json is missing");

        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
            if (stream.CanSeek && stream.Length > MaxConfigBytes)
                throw new BundleException($"{path}: {stream.Length} bytes; a config.json is at most {MaxConfigBytes} bytes");
            bytes = ReadAtMost(stream, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BundleException($"{path}: cannot be read: {e.Message}", e);
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
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

    /// <summary>The whole stream, refusing one that grows past the cap (a FIFO or a device has no length to check first).</summary>
    static byte[] ReadAtMost(Stream stream, string path)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxConfigBytes)
                throw new BundleException($"{path}: more than {MaxConfigBytes} bytes; a config.json is at most {MaxConfigBytes} bytes");
        }
        return buffer.ToArray();
    }
}
