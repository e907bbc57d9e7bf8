using System.Text.Json;
using V2Meow.Loaders.Safetensors;

namespace V2Meow.Runtime.Verification;

/// <summary>The JSON entries of a golden file's __metadata__ (SPEC §10), read with errors that name the file.</summary>
internal static class GoldenMetadata
{
    /// <summary>
    /// Parses entry <paramref name="key"/> and hands its root to <paramref name="read"/>; a missing entry, bad
    /// JSON, a missing property or a wrongly typed value becomes a <see cref="SafetensorsFormatException"/>.
    /// </summary>
    public static T Read<T>(SafetensorsFile golden, string key, string describes, Func<JsonElement, T> read)
    {
        if (!golden.Metadata.TryGetValue(key, out var json))
            throw new SafetensorsFormatException(golden.Path, null, $"__metadata__ has no \"{key}\" entry describing {describes}");
        try
        {
            using var document = JsonDocument.Parse(json);
            return read(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new SafetensorsFormatException(golden.Path, null, $"{key} metadata is malformed: {e.Message}", e);
        }
    }
}
