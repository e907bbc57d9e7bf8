using System.Globalization;
using System.Text;
using System.Text.Json;
using V2Meow.Loaders.Files;
using V2Meow.Runtime.Generation;

namespace V2Meow.Runtime.Batch;

/// <summary>
/// The list of videos a batch runs, read from JSON Lines (one object per line) or CSV (a header row, then
/// one row per item). Fields: <c>video</c> and <c>output</c> (required), <c>seed</c>, <c>prompt</c> or
/// <c>style</c> (a style embedding file), <c>model</c> (a name this build knows or a bundle folder),
/// <c>candidates</c>, <c>id</c>, and <c>features</c> (JSON: an object of stream name to file; CSV: one
/// column <c>features.STREAM</c> per stream). Relative paths are relative to the manifest's folder.
/// </summary>
/// <remarks>
/// A line that cannot be run (a missing field, a value of the wrong kind, an unknown field, an output that an
/// earlier line already writes or that is another line's video, an id given twice) still becomes an item,
/// with its <see cref="BatchItem.Problem"/>: the batch reports it and runs the rest. What makes the whole
/// file unusable (not a regular file, too large, a CSV without a video or output column) is a
/// <see cref="BatchException"/>.
/// </remarks>
public sealed class Manifest
{
    /// <summary>Largest manifest read: a million items at 200 bytes each fit many times over.</summary>
    public const long MaxBytes = 1L << 30;

    /// <summary>Longest line (or CSV record) read as an item; anything longer is refused as that line's problem.</summary>
    public const int MaxLineChars = 1 << 20;

    /// <summary>The fields an item may have, as JSON keys and CSV columns.</summary>
    public static IReadOnlyList<string> Fields { get; } = ["video", "output", "seed", "prompt", "style", "model", "candidates", "id", "features"];

    /// <summary>The manifest file, full path.</summary>
    public string Path { get; }

    /// <summary>The folder relative paths in the manifest are relative to.</summary>
    public string Folder { get; }

    /// <summary>Every item, in file order (<see cref="BatchItem.Index"/> is the position here).</summary>
    public IReadOnlyList<BatchItem> Items { get; }

    Manifest(string path, IReadOnlyList<BatchItem> items)
    {
        Path = System.IO.Path.GetFullPath(path);
        Folder = System.IO.Path.GetDirectoryName(Path)!;
        Items = items;
    }

    /// <summary>
    /// A manifest of <paramref name="items"/> whose relative paths are relative to <paramref name="folder"/>, for
    /// apps that build one in code; its default results file is <c>manifest.results.jsonl</c> in that folder.
    /// </summary>
    public static Manifest FromItems(string folder, IEnumerable<BatchItem> items)
    {
        var list = items.ToList();
        var path = System.IO.Path.Combine(System.IO.Path.GetFullPath(folder), "manifest");
        return new Manifest(path, CheckAcrossItems(list, System.IO.Path.GetFullPath(folder)));
    }

    /// <summary>The absolute path of <paramref name="path"/> as the manifest writes it (relative to <see cref="Folder"/>).</summary>
    public string Resolve(string path) => System.IO.Path.GetFullPath(System.IO.Path.Combine(Folder, path));

    /// <summary>Every file <paramref name="item"/> writes, absolute: its output, or one per candidate (OUT.0.wav, …).</summary>
    public IReadOnlyList<string> OutputsOf(BatchItem item)
    {
        string output = Resolve(item.Output);
        return Enumerable.Range(0, item.Candidates).Select(c => MusicWriter.PathFor(output, c, item.Candidates)).ToList();
    }

    /// <summary>
    /// Reads <paramref name="path"/>: CSV when it ends in .csv, JSON Lines when it ends in .jsonl, .ndjson or
    /// .json, otherwise whichever its first character says ('{' for JSON Lines).
    /// </summary>
    public static Manifest Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (target, length) = InputFile.Require(path, problem => new BatchException($"{path}: {problem}"));
        if (length > MaxBytes) throw new BatchException($"{path}: {length} bytes; a manifest is at most {MaxBytes} bytes (split it)");
        string text;
        try
        {
            text = File.ReadAllText(target, new UTF8Encoding(false, throwOnInvalidBytes: false));
        }
        catch (IOException e)
        {
            throw new BatchException($"{path}: cannot read it ({e.Message})");
        }
        string folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var items = IsCsv(path, text) ? ReadCsv(path, text) : ReadJsonLines(text);
        if (items.Count == 0) throw new BatchException($"{path}: no items (expected one video per line, {(IsCsv(path, text) ? "after the header row" : "as JSON objects")})");
        return new Manifest(path, CheckAcrossItems(items, folder));
    }

    static bool IsCsv(string path, string text)
    {
        string extension = System.IO.Path.GetExtension(path).ToLowerInvariant();
        if (extension == ".csv") return true;
        if (extension is ".jsonl" or ".ndjson" or ".json") return false;
        return text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n').FirstOrDefault() != '{';
    }

    // ---------------------------------------------------------------- JSON Lines

    static List<BatchItem> ReadJsonLines(string text)
    {
        var items = new List<BatchItem>();
        int lineNumber = 0;
        foreach (string raw in text.Split('\n'))
        {
            lineNumber++;
            string line = raw.TrimEnd('\r');
            if (lineNumber == 1) line = line.TrimStart('\uFEFF');
            if (string.IsNullOrWhiteSpace(line)) continue;
            items.Add(ParseJsonLine(line, items.Count, lineNumber));
        }
        return items;
    }

    static BatchItem ParseJsonLine(string line, int index, int lineNumber)
    {
        var item = new BatchItem { Index = index, Line = lineNumber };
        if (line.Length > MaxLineChars) return item with { Problem = $"{line.Length} characters; a line is at most {MaxLineChars}" };
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 4 });
        }
        catch (JsonException e)
        {
            return item with { Problem = $"not a JSON object ({e.Message})" };
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return item with { Problem = $"expected a JSON object, found {Kind(document.RootElement)}" };
            var fields = new FieldSet();
            try
            {
                ReadFields(document.RootElement, fields);
            }
            catch (InvalidOperationException)
            {
                return item with { Problem = NotUnicode }; // a field name that is a lone surrogate escape
            }
            return fields.ToItem(item);
        }
    }

    static void ReadFields(JsonElement root, FieldSet fields)
    {
        foreach (var property in root.EnumerateObject())
        {
            if (!fields.Seen.Add(property.Name))
            {
                fields.Fail($"field '{Shown(property.Name)}' given twice");
                continue;
            }
            var value = property.Value;
            if (value.ValueKind == JsonValueKind.Null) continue;
            switch (property.Name)
            {
                case "features":
                    if (value.ValueKind != JsonValueKind.Object)
                    {
                        fields.Fail($"'features': expected an object of stream name to file, found {Kind(value)}");
                        break;
                    }
                    foreach (var stream in value.EnumerateObject())
                    {
                        if (stream.Value.ValueKind != JsonValueKind.String)
                            fields.Fail($"'features.{Shown(stream.Name)}': expected a file path, found {Kind(stream.Value)}");
                        else if (Text(stream.Value) is not { } file)
                            fields.Fail($"'features.{Shown(stream.Name)}': {NotUnicode}");
                        else if (!fields.Features.TryAdd(stream.Name, file))
                            fields.Fail($"'features.{Shown(stream.Name)}' given twice");
                    }
                    break;
                case "seed" or "candidates" or "id" when value.ValueKind == JsonValueKind.Number:
                    fields.Set(property.Name, value.GetRawText());
                    break;
                default:
                    if (value.ValueKind != JsonValueKind.String)
                        fields.Fail($"'{Shown(property.Name)}': expected a string, found {Kind(value)}");
                    else if (Text(value) is not { } text)
                        fields.Fail($"'{Shown(property.Name)}': {NotUnicode}");
                    else
                        fields.Set(property.Name, text);
                    break;
            }
        }
    }

    const string NotUnicode = "not a usable path or text (an unpaired \\u surrogate escape is no Unicode character)";

    /// <summary>A JSON string's text, or null when its escapes make no valid Unicode (a lone \ud800).</summary>
    static string? Text(JsonElement value)
    {
        try { return value.GetString(); }
        catch (InvalidOperationException) { return null; }
    }

    static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "true/false",
        _ => "null",
    };

    // ---------------------------------------------------------------- CSV (RFC 4180)

    static List<BatchItem> ReadCsv(string path, string text)
    {
        var records = CsvRecords(text.TrimStart('\uFEFF')).GetEnumerator();
        (int Line, List<string> Cells, string? Problem) header = default;
        while (records.MoveNext())
        {
            header = records.Current;
            if (!(header.Cells.Count == 1 && header.Cells[0].Trim().Length == 0)) break;
        }
        if (header.Cells is null) throw new BatchException($"{path}: empty; expected a header row (video,output,…) and one row per item");
        if (header.Problem is not null) throw new BatchException($"{path}: header row: {header.Problem}");
        var columns = header.Cells.Select(c => c.Trim()).ToList();
        for (int c = 0; c < columns.Count; c++)
        {
            string name = columns[c];
            bool known = Fields.Contains(name) && name != "features" || name.StartsWith("features.", StringComparison.Ordinal) && name.Length > 9;
            if (!known)
                throw new BatchException($"{path}: column {c + 1} '{Shown(name)}' is not a field this reads " +
                    $"({string.Join(", ", Fields.Where(f => f != "features"))}, features.STREAM)");
            if (columns.IndexOf(name) != c) throw new BatchException($"{path}: column '{Shown(name)}' appears twice");
        }
        foreach (string required in new[] { "video", "output" })
            if (!columns.Contains(required))
                throw new BatchException($"{path}: the header row has no '{required}' column (it has {string.Join(", ", columns.Select(Shown))})");

        var items = new List<BatchItem>();
        while (records.MoveNext())
        {
            var (line, cells, problem) = records.Current;
            if (problem is null && cells.Count == 1 && cells[0].Trim().Length == 0) continue; // blank line
            var item = new BatchItem { Index = items.Count, Line = line };
            if (problem is not null) { items.Add(item with { Problem = problem }); continue; }
            if (cells.Count != columns.Count)
            {
                items.Add(item with { Problem = $"{cells.Count} cells, but the header row has {columns.Count} columns" });
                continue;
            }
            var fields = new FieldSet();
            for (int c = 0; c < columns.Count; c++)
            {
                if (cells[c].Length == 0) continue; // an empty cell is an absent field
                if (columns[c].StartsWith("features.", StringComparison.Ordinal)) fields.Features[columns[c][9..]] = cells[c];
                else fields.Set(columns[c], cells[c]);
            }
            items.Add(fields.ToItem(item));
        }
        return items;
    }

    /// <summary>RFC 4180 records: commas between cells, quotes around cells holding commas, quotes or line breaks.</summary>
    static IEnumerable<(int Line, List<string> Cells, string? Problem)> CsvRecords(string text)
    {
        int at = 0, line = 1;
        while (at < text.Length)
        {
            int startLine = line;
            var cells = new List<string>();
            var cell = new StringBuilder();
            string? problem = null;
            bool quoted = false, wasQuoted = false;
            int length = 0;
            while (at < text.Length)
            {
                char c = text[at++];
                if (++length > MaxLineChars && problem is null) problem = $"a record is at most {MaxLineChars} characters";
                if (quoted)
                {
                    if (c == '"')
                    {
                        if (at < text.Length && text[at] == '"') { cell.Append('"'); at++; }
                        else quoted = false;
                    }
                    else
                    {
                        if (c == '\n') line++;
                        if (problem is null) cell.Append(c);
                    }
                    continue;
                }
                if (c == ',')
                {
                    cells.Add(cell.ToString());
                    cell.Clear();
                    wasQuoted = false;
                }
                else if (c == '\n')
                {
                    line++;
                    break;
                }
                else if (c == '\r' && at < text.Length && text[at] == '\n') { }
                else if (c == '"' && cell.Length == 0 && !wasQuoted) quoted = wasQuoted = true;
                else if (c == '"') problem ??= "a quote inside an unquoted cell (quote the whole cell and double the quote)";
                else if (problem is null) cell.Append(c);
            }
            if (quoted) problem ??= "a quoted cell is not closed before the end of the file";
            cells.Add(cell.ToString());
            yield return (startLine, cells, problem);
        }
    }

    // ---------------------------------------------------------------- fields of one item

    /// <summary>An item's fields as text, checked and turned into a <see cref="BatchItem"/>; the first problem wins.</summary>
    sealed class FieldSet
    {
        public readonly HashSet<string> Seen = new(StringComparer.Ordinal);
        public readonly Dictionary<string, string> Values = new(StringComparer.Ordinal);
        public readonly Dictionary<string, string> Features = new(StringComparer.Ordinal);
        string? _problem;

        public void Fail(string problem) => _problem ??= problem;

        public void Set(string name, string value)
        {
            if (!Fields.Contains(name) || name == "features")
                Fail($"unknown field '{Shown(name)}' (fields: {string.Join(", ", Fields)})");
            else Values[name] = value;
        }

        public BatchItem ToItem(BatchItem item)
        {
            Values.TryGetValue("id", out string? id);
            item = item with { Id = id };
            foreach (string required in new[] { "video", "output" })
                if (!Values.TryGetValue(required, out string? v) || v.Length == 0) Fail($"missing field '{required}'");
            ulong? seed = null;
            if (Values.TryGetValue("seed", out string? seedText))
            {
                if (ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out ulong s)) seed = s;
                else Fail($"'seed': '{Shown(seedText)}' is not a whole number from 0 to {ulong.MaxValue}");
            }
            int candidates = 1;
            if (Values.TryGetValue("candidates", out string? candidatesText) &&
                !(int.TryParse(candidatesText, NumberStyles.None, CultureInfo.InvariantCulture, out candidates) &&
                  candidates is >= 1 and <= GenerationOptions.MaxCandidates))
            {
                Fail($"'candidates': '{Shown(candidatesText)}' is not a whole number from 1 to {GenerationOptions.MaxCandidates}");
                candidates = 1;
            }
            if (Values.ContainsKey("prompt") && Values.ContainsKey("style")) Fail("give 'prompt' or 'style', not both");
            foreach (var (stream, file) in Features)
            {
                if (stream.Length == 0) Fail("'features': a stream needs a name");
                if (file.Length == 0) Fail($"'features.{Shown(stream)}': empty path");
            }
            return item with
            {
                Video = Values.GetValueOrDefault("video", ""),
                Output = Values.GetValueOrDefault("output", ""),
                Seed = seed,
                Prompt = Values.GetValueOrDefault("prompt"),
                StyleFile = Values.GetValueOrDefault("style"),
                Model = Values.GetValueOrDefault("model"),
                Candidates = candidates,
                Features = new Dictionary<string, string>(Features, StringComparer.Ordinal),
                Problem = _problem,
            };
        }
    }

    // ---------------------------------------------------------------- checks across items

    /// <summary>
    /// The checks no single line can make: an output written by two lines (candidates' files included), an
    /// output that is another line's video, an id given twice. The earlier line keeps it; later ones fail.
    /// Every shard reads the whole manifest, so every shard makes the same decisions.
    /// </summary>
    static List<BatchItem> CheckAcrossItems(List<BatchItem> items, string folder)
    {
        var comparer = OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        string Full(string p) => System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, p));
        var videos = new Dictionary<string, BatchItem>(comparer);
        foreach (var item in items)
            if (item.Video.Length > 0 && IsUsablePath(item.Video)) videos.TryAdd(Full(item.Video), item);
        var outputs = new Dictionary<string, BatchItem>(comparer);
        var ids = new Dictionary<string, BatchItem>(StringComparer.Ordinal);
        var checkedItems = new List<BatchItem>(items.Count);
        foreach (var item in items)
        {
            string? problem = item.Problem;
            if (problem is null)
            {
                foreach (string? path in new[] { item.Video, item.Output, item.StyleFile, item.Model }.Concat(item.Features.Values))
                    if (path is not null && !IsUsablePath(path)) problem ??= $"'{Shown(path)}' is not a usable path (a NUL character, or text that is not valid Unicode)";
            }
            if (problem is null && item.Id is not null && !ids.TryAdd(item.Id, item))
                problem = $"id '{Shown(item.Id)}' is also {ids[item.Id].Label}'s";
            if (problem is null)
            {
                string output = Full(item.Output);
                var files = Enumerable.Range(0, item.Candidates).Select(c => MusicWriter.PathFor(output, c, item.Candidates)).ToList();
                foreach (string file in files)
                {
                    if (outputs.TryGetValue(file, out var owner))
                        problem ??= $"output '{Shown(file)}' is also written by {owner.Label}";
                    else if (videos.TryGetValue(file, out var source))
                        problem ??= $"output '{Shown(file)}' is the video of {source.Label}; writing there would replace it";
                }
                if (problem is null) foreach (string file in files) outputs[file] = item;
            }
            checkedItems.Add(problem == item.Problem ? item : item with { Problem = problem });
        }
        return checkedItems;
    }

    /// <summary>No NUL (no file system takes one) and no lone surrogate (JSON escapes can make one; no file name is one).</summary>
    static bool IsUsablePath(string path)
    {
        for (int i = 0; i < path.Length; i++)
        {
            char c = path[i];
            if (c == '\0' || char.IsLowSurrogate(c)) return false;
            if (char.IsHighSurrogate(c) && !(i + 1 < path.Length && char.IsLowSurrogate(path[++i]))) return false;
        }
        return true;
    }

    /// <summary>A value as a message line can show it: control characters as '?', at most 200 characters.</summary>
    internal static string Shown(string text)
    {
        var clean = new string(text.Take(200).Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return text.Length > 200 ? clean + "…" : clean;
    }
}

/// <summary>
/// A batch that cannot run at all (a manifest that cannot be read, a bad shard, a results file in use); the
/// message names the file or setting and what was expected. One item's failure is never this: it goes in
/// the results file and the batch goes on.
/// </summary>
public sealed class BatchException(string message) : Exception(message);
