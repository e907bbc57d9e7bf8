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

    /// <summary>
    /// The field's value when present. null is not "absent": a field left out takes its default, but
    /// <c>"rates": null</c> is far more likely a mistake than a request for defaults, so it is an error
    /// (only <see cref="HasNonNull"/> callers, where the SPEC allows null, see it as absent).
    /// </summary>
    bool TryGet(string key, out JsonElement value)
    {
        if (!_element.TryGetProperty(key, out value)) return false;
        if (value.ValueKind == JsonValueKind.Null)
            throw Error(Path(key), "expected a value, found null; leave the field out to take its default");
        return true;
    }

    public bool Has(string key) => TryGet(key, out _);

    /// <summary>Present and not null: for the fields the SPEC lets be null (stage1.time_embedding).</summary>
    public bool HasNonNull(string key) => _element.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null;

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

    /// <summary>An integer in [<paramref name="minimum"/>, <paramref name="maximum"/>] (SPEC §3 gives every range).</summary>
    public int Int(string key, int minimum, int? fallback = null, int maximum = int.MaxValue)
    {
        if (!TryGet(key, out var value))
            return fallback ?? throw Error(Path(key), "required");
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int result) || result < minimum || result > maximum)
            throw Error(Path(key), $"expected {IntRange(minimum, maximum)}, found {Shown(value)}");
        return result;
    }

    /// <summary>
    /// A finite number above 0 (or at least 0 when not <paramref name="positive"/>), at least
    /// <paramref name="minimum"/> and at most <paramref name="maximum"/>.
    /// </summary>
    public double Number(string key, double? fallback = null, bool positive = true, double minimum = 0, double maximum = double.MaxValue)
    {
        if (!TryGet(key, out var value))
            return fallback ?? throw Error(Path(key), "required");
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double result) || !double.IsFinite(result))
            throw Error(Path(key), $"expected a number, found {Shown(value)}");
        if ((positive ? result <= 0 : result < 0) || result < minimum || result > maximum)
        {
            string low = minimum > 0 ? $">= {minimum.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : positive ? "> 0" : ">= 0";
            string high = maximum < double.MaxValue ? $" and <= {maximum.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : "";
            throw Error(Path(key), $"expected a number {low}{high}, found {Shown(value)}");
        }
        return result;
    }

    static string IntRange(int minimum, int maximum) =>
        maximum == int.MaxValue ? $"an integer >= {minimum}" : $"an integer in [{minimum}, {maximum}]";

    /// <summary>A value as the error shows it: its JSON text, cut short (a 2 GiB string is not echoed).</summary>
    static string Shown(JsonElement value)
    {
        string text = value.GetRawText();
        return text.Length <= 80 ? text : text[..77] + "...";
    }

    public string Choice(string key, string[] choices, string? fallback = null)
    {
        if (!TryGet(key, out var value))
            return fallback ?? throw Error(Path(key), "required");
        string? text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        if (text is null || Array.IndexOf(choices, text) < 0)
            throw Error(Path(key), $"expected one of {string.Join(", ", choices)}, found {Shown(value)}");
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
            _ => throw Error(Path(key), $"expected true or false, found {Shown(value)}"),
        };
    }

    /// <summary>A list of at most <paramref name="maxCount"/> integers, each in [<paramref name="minimum"/>, <paramref name="maximum"/>].</summary>
    public int[] IntList(string key, int minimum, int[]? fallback = null, bool nonEmpty = false, int maximum = int.MaxValue, int maxCount = 64)
    {
        if (!TryGet(key, out var value))
            return fallback ?? throw Error(Path(key), "required");
        string each = maximum == int.MaxValue ? $">= {minimum}" : $"in [{minimum}, {maximum}]";
        string expected = $"a {(nonEmpty ? "non-empty " : "")}list of at most {maxCount} integers {each}";
        if (value.ValueKind != JsonValueKind.Array || (nonEmpty && value.GetArrayLength() == 0) || value.GetArrayLength() > maxCount)
            throw Error(Path(key), $"expected {expected}, found {Shown(value)}");
        return value.EnumerateArray().Select(item =>
            item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out int v) && v >= minimum && v <= maximum
                ? v
                : throw Error(Path(key), $"expected {expected}, found {Shown(value)}")).ToArray();
    }

    /// <summary>Exactly <paramref name="count"/> finite numbers, each above <paramref name="exclusiveMinimum"/> when given.</summary>
    public double[] NumberList(string key, int count, double[] fallback, double? exclusiveMinimum = null)
    {
        if (!TryGet(key, out var value)) return fallback;
        string expected = $"a list of {count} numbers{(exclusiveMinimum is { } m ? $" > {m}" : "")}";
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != count)
            throw Error(Path(key), $"expected {expected}, found {Shown(value)}");
        return value.EnumerateArray().Select(item =>
            item.ValueKind == JsonValueKind.Number && item.TryGetDouble(out double v) && double.IsFinite(v) && (exclusiveMinimum is not { } low || v > low)
                ? v
                : throw Error(Path(key), $"expected {expected}, found {Shown(value)}")).ToArray();
    }

    public IEnumerable<ConfigSection> List(string key, int maxCount = 64)
    {
        if (!TryGet(key, out var value) || value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
            throw Error(Path(key), "expected a non-empty list");
        if (value.GetArrayLength() > maxCount)
            throw Error(Path(key), $"expected at most {maxCount} entries, found {value.GetArrayLength()}");
        int i = 0;
        foreach (var item in value.EnumerateArray())
            yield return new ConfigSection(_file, $"{Path(key)}[{i++}]", item);
    }

    public IEnumerable<string> Keys => _element.EnumerateObject().Select(p => p.Name);

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]*$")]
    public static partial Regex StreamName();
}
