using System.Text.Json;
using System.Text.RegularExpressions;

namespace V2Meow.Loaders.Bundles;

/// <summary>
/// Typed reads from one object of config.json with SPEC §3's defaults; every error names the file and
/// the field path (<c>stage1.d_model</c>), as the reference's config.py does.
/// </summary>
internal sealed partial class ConfigSection
{
    readonly string _file;
    readonly JsonElement _element;
    public string Where { get; }

    public ConfigSection(string file, string where, JsonElement element)
    {
        _file = file;
        Where = where;
        _element = element;
        if (element.ValueKind != JsonValueKind.Object) throw Error(where, "expected an object");
    }

    public BundleException Error(string field, string problem) => new($"{_file}: {field}: {problem}");

    string Path(string key) => Where.Length == 0 ? key : $"{Where}.{key}";

    bool TryGet(string key, out JsonElement value) =>
        _element.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null;

    public bool Has(string key) => TryGet(key, out _);

    public void AllowOnly(params string[] allowed)
    {
        foreach (var property in _element.EnumerateObject())
            if (Array.IndexOf(allowed, property.Name) < 0)
                throw Error(Path(property.Name), $"unknown field (allowed: {string.Join(", ", allowed)})");
    }

    public ConfigSection Section(string key)
    {
        if (!TryGet(key, out var value)) throw Error(Path(key), "required object missing");
        return new ConfigSection(_file, Path(key), value);
    }

    /// <summary>An optional section: absent reads as an empty object, so its defaults apply.</summary>
    public ConfigSection OptionalSection(string key) =>
        TryGet(key, out var value) ? new ConfigSection(_file, Path(key), value) : new ConfigSection(_file, Path(key), EmptyObject);

    static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement;

    public int Int(string key, int minimum, int? fallback = null)
    {
        if (!TryGet(key, out var value))
            return fallback ?? throw Error(Path(key), "required");
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int result) || result < minimum)
            throw Error(Path(key), $"expected an integer >= {minimum}, found {value.GetRawText()}");
        return result;
    }

    public double Number(string key, double? fallback = null, bool positive = true)
    {
        if (!TryGet(key, out var value))
            return fallback ?? throw Error(Path(key), "required");
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double result) || !double.IsFinite(result))
            throw Error(Path(key), $"expected a number, found {value.GetRawText()}");
        if (positive ? result <= 0 : result < 0)
            throw Error(Path(key), $"expected a number {(positive ? ">" : ">=")} 0, found {value.GetRawText()}");
        return result;
    }

    public string Choice(string key, string[] choices, string? fallback = null)
    {
        if (!TryGet(key, out var value))
            return fallback ?? throw Error(Path(key), "required");
        string? text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        if (text is null || Array.IndexOf(choices, text) < 0)
            throw Error(Path(key), $"expected one of {string.Join(", ", choices)}, found {value.GetRawText()}");
        return text;
    }

    public string String(string key, string fallback)
    {
        if (!TryGet(key, out var value)) return fallback;
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw Error(Path(key), "expected a string");
    }

    public bool? OptionalBool(string key)
    {
        if (!TryGet(key, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(Path(key), $"expected true or false, found {value.GetRawText()}"),
        };
    }

    public int[] IntList(string key, int minimum, int[]? fallback = null, bool nonEmpty = false)
    {
        if (!TryGet(key, out var value))
            return fallback ?? throw Error(Path(key), "required");
        if (value.ValueKind != JsonValueKind.Array || (nonEmpty && value.GetArrayLength() == 0))
            throw Error(Path(key), $"expected a {(nonEmpty ? "non-empty " : "")}list of integers >= {minimum}, found {value.GetRawText()}");
        return value.EnumerateArray().Select(item =>
            item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out int v) && v >= minimum
                ? v
                : throw Error(Path(key), $"expected a list of integers >= {minimum}, found {value.GetRawText()}")).ToArray();
    }

    public IEnumerable<ConfigSection> List(string key)
    {
        if (!TryGet(key, out var value) || value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
            throw Error(Path(key), "expected a non-empty list");
        int i = 0;
        foreach (var item in value.EnumerateArray())
            yield return new ConfigSection(_file, $"{Path(key)}[{i++}]", item);
    }

    public IEnumerable<string> Keys => _element.EnumerateObject().Select(p => p.Name);

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]*$")]
    public static partial Regex StreamName();
}
