using System.Text.Json;
using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;

namespace V2Meow.Runtime.Generation;

/// <summary>
/// The bundle's optional <c>text_tower</c> (SPEC, "Optional component: text_tower"): a bag-of-words map from
/// caption words into the style space, so a prompt such as "slow dark piano" becomes the style vector that
/// steers stage 1 (and stage 2's encoder). style = normalise(Σ count(word) · embedding(word)).
/// </summary>
public sealed class TextTower
{
    /// <summary>The optional component's key in config.json; its weights are text_tower.safetensors in the bundle.</summary>
    public const string Component = "text_tower";

    readonly Dictionary<string, int> _index;
    readonly float[] _embeddings;

    /// <summary>The vocabulary, in embedding row order.</summary>
    public IReadOnlyList<string> Words { get; }
    /// <summary>Length of a word embedding and of the style vector it produces.</summary>
    public int Dim { get; }

    TextTower(string[] words, float[] embeddings, int dim)
    {
        Words = words;
        Dim = dim;
        _embeddings = embeddings;
        _index = words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal);
    }

    /// <summary>The tower of the bundle in <paramref name="folder"/>, or null when its config names none.</summary>
    public static TextTower? Load(string folder, BundleConfig config)
    {
        if (!config.OptionalComponents.Contains(Component)) return null;
        string path = Path.Combine(folder, Component + ".safetensors");
        if (!File.Exists(path)) throw new BundleException($"{folder}: config.json names a text_tower but {path} is missing");
        using var file = SafetensorsFile.Open(path);
        if (!file.Metadata.TryGetValue("words", out var wordsJson))
            throw new SafetensorsFormatException(path, null, "__metadata__ lacks 'words' (a JSON list of the vocabulary)");
        string?[] words;
        try { words = JsonSerializer.Deserialize<string?[]>(wordsJson) ?? []; }
        catch (JsonException e) { throw new SafetensorsFormatException(path, null, $"__metadata__ 'words' is not a JSON list of strings ({e.Message})", e); }
        // Prompts are matched lower-cased, so two words equal after lower-casing would be one key.
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < words.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(words[i]))
                throw new SafetensorsFormatException(path, null, $"__metadata__ 'words': entry {i} is {(words[i] is null ? "null" : "blank")}; expected a word");
            if (!seen.TryAdd(words[i]!.ToLowerInvariant(), i))
                throw new SafetensorsFormatException(path, null,
                    $"__metadata__ 'words': entries {seen[words[i]!.ToLowerInvariant()]} and {i} are the same word '{Shown(words[i]!)}' (prompts are matched lower-cased)");
        }
        int dim = Math.Max(config.Stage1.StyleDim, config.Stage2.StyleDim);
        var view = file.Get("embeddings", [words.Length, dim], DType.F32, DType.F16, DType.BF16);
        long bad = FiniteValues.FirstNonFinite(view);
        if (bad >= 0)
            throw new SafetensorsFormatException(path, "embeddings",
                $"element {bad} (word '{Shown(words[bad / Math.Max(dim, 1)]!)}') is {FiniteValues.Describe(view, bad)}; embeddings must be finite");
        return new TextTower(words.Select(w => w!.ToLowerInvariant()).ToArray(), view.ToFloat32(), dim);
    }

    /// <summary>
    /// Text from a user or a file as an error shows it: control characters (a terminal escape, a newline)
    /// as \u escapes, and at most 80 characters, so a 130 KB prompt is not echoed whole.
    /// </summary>
    static string Shown(string text)
    {
        const int Limit = 80;
        var shown = new System.Text.StringBuilder();
        foreach (char c in text.Length > Limit ? text[..Limit] : text)
            shown.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c);
        if (text.Length > Limit) shown.Append($"… ({text.Length} characters)");
        return shown.ToString();
    }

    /// <summary>The prompt's words, lower-cased: whitespace, commas and semicolons separate them (SPEC), so a
    /// caption in the corpus's form ("slow 80 bpm; A minor; folk; guitar, strings") is a prompt.</summary>
    public static IEnumerable<string> WordsOf(string prompt)
    {
        int start = 0;
        for (int i = 0; i <= prompt.Length; i++)
        {
            if (i < prompt.Length && !char.IsWhiteSpace(prompt[i]) && prompt[i] != ',' && prompt[i] != ';') continue;
            if (i > start) yield return prompt[start..i].ToLowerInvariant();
            start = i + 1;
        }
    }

    /// <summary>The style vector of <paramref name="prompt"/>; words outside the vocabulary are ignored, but at least one must be known.</summary>
    public float[] Embed(string prompt)
    {
        var sum = new double[Dim];
        int known = 0;
        foreach (string word in WordsOf(prompt))
        {
            if (!_index.TryGetValue(word, out int row)) continue;
            known++;
            for (int j = 0; j < Dim; j++) sum[j] += _embeddings[row * Dim + j];
        }
        if (known == 0)
            throw new ArgumentException($"prompt '{Shown(prompt)}': none of its words is known to this bundle's text tower; it knows: {string.Join(" ", Words)}");
        // As torch.nn.functional.normalize: divide by max(‖v‖, 1e-12).
        double norm = Math.Max(Math.Sqrt(sum.Sum(v => v * v)), 1e-12);
        return sum.Select(v => (float)(v / norm)).ToArray();
    }
}
