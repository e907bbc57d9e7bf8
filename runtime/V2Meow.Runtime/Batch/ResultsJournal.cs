using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using V2Meow.Loaders.Files;
using V2Meow.Runtime.Scoring;

namespace V2Meow.Runtime.Batch;

/// <summary>
/// A batch's results file: JSON Lines, one line per item as it finishes, each flushed to disk before the
/// next item's line, so a killed batch loses at most the line it was writing. A re-run reads it to skip what
/// is done; the last line of an item is its state. A torn last line (the process killed mid-write) is
/// ignored and the next line starts on a line of its own. Open in one process at a time: a lock file beside
/// it (".NAME.lock") is held while a batch writes, so the same shard started twice stops with an error
/// instead of both writing; readers are never blocked.
/// </summary>
/// <remarks>
/// A line: <c>{"item": 12, "id": "clip-12", "status": "ok", "video": "in/a.mp4", "output": "out/a.wav",
/// "outputs": ["out/a.wav"], "seconds": 1.234, "error": null, "scores": {...}}</c>. <c>item</c> is the manifest
/// line; <c>id</c> appears when the manifest gives one; paths are as the manifest writes them; <c>scores</c>
/// appears when the batch scores: an object for one output, a list (in the order of <c>outputs</c>) for several.
/// </remarks>
public sealed class ResultsJournal : IDisposable
{
    readonly FileStream _stream, _held;
    readonly Lock _lock = new();
    bool _needsNewline;

    /// <summary>The results file.</summary>
    public string Path { get; }

    /// <summary>The lines already in the file when it was opened, in file order (torn or foreign lines left out).</summary>
    public IReadOnlyList<BatchResult> Existing { get; }

    ResultsJournal(string path, FileStream stream, FileStream held, IReadOnlyList<BatchResult> existing, bool needsNewline)
    {
        Path = path;
        _stream = stream;
        _held = held;
        Existing = existing;
        _needsNewline = needsNewline;
    }

    /// <summary>
    /// Beside the manifest: <c>NAME.results.jsonl</c> for the whole manifest, <c>NAME.results.2-of-4.jsonl</c>
    /// for shard 2 of 4 (one file per shard: processes on different machines never write the same file).
    /// </summary>
    public static string DefaultPath(Manifest manifest, ShardSpec shard)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        string stem = System.IO.Path.GetFileNameWithoutExtension(manifest.Path);
        string suffix = shard.IsSharded ? $".results.{shard.Index}-of-{shard.Count}.jsonl" : ".results.jsonl";
        return System.IO.Path.Combine(manifest.Folder, stem + suffix);
    }

    /// <summary>Opens (or creates) <paramref name="path"/> for appending, reading what it holds; a <see cref="BatchException"/> when it cannot.</summary>
    public static ResultsJournal Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var kind = InputFile.KindOf(path);
        if (kind is not (FileKind.Missing or FileKind.Regular))
            throw new BatchException($"results file {path}: {InputFile.Problem(kind)}");
        string folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        if (!Directory.Exists(folder)) throw new BatchException($"results file {path}: folder '{folder}' does not exist");
        // The same shard started twice must stop here instead of both writing: the writer holds an exclusive
        // lock (flock on Unix, through FileShare.None) on a hidden lock file beside the results, which stays
        // (empty) after the run. The results file itself is shared, so other shards and tools read it as it grows.
        string lockPath = System.IO.Path.Combine(folder, "." + System.IO.Path.GetFileName(path) + ".lock");
        FileStream held;
        try
        {
            held = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new BatchException($"results file {path}: in use by another process (is the same batch or shard already running?) ({e.Message})");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new BatchException($"results file {path}: cannot create its lock file {lockPath} ({e.Message})");
        }
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            held.Dispose();
            throw new BatchException($"results file {path}: cannot open it for writing ({e.Message})");
        }
        try
        {
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            var existing = Parse(bytes);
            return new ResultsJournal(path, stream, held, existing, bytes.Length > 0 && bytes[^1] != (byte)'\n');
        }
        catch
        {
            stream.Dispose();
            held.Dispose();
            throw;
        }
    }

    /// <summary>The results in <paramref name="path"/> (another shard's, say), without locking it; empty when it does not exist.</summary>
    public static IReadOnlyList<BatchResult> Read(string path)
    {
        if (InputFile.KindOf(path) != FileKind.Regular) return [];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return Parse(memory.ToArray());
    }

    static List<BatchResult> Parse(byte[] bytes)
    {
        var results = new List<BatchResult>();
        int start = 0;
        while (start < bytes.Length)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0) break; // a torn last line: the process was killed while writing it
            var line = bytes.AsSpan(start, end - start);
            start = end + 1;
            if (ParseLine(line) is { } result) results.Add(result);
        }
        return results;
    }

    static BatchResult? ParseLine(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            if (!root.TryGetProperty("item", out var item) || !item.TryGetInt32(out int line1)) return null;
            string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var status = Text("status") switch
            {
                "ok" => BatchItemStatus.Ok,
                "failed" => BatchItemStatus.Failed,
                _ => (BatchItemStatus?)null,
            };
            if (status is null || Text("output") is not { } output) return null;
            var outputs = root.TryGetProperty("outputs", out var list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().Where(o => o.ValueKind == JsonValueKind.String).Select(o => o.GetString()!).ToList()
                : [output];
            List<MusicScores>? scores = null;
            if (root.TryGetProperty("scores", out var s))
            {
                var parsed = s.ValueKind == JsonValueKind.Array ? s.EnumerateArray().Select(MusicScores.FromJson).ToList() : [MusicScores.FromJson(s)];
                if (parsed.All(p => p is not null)) scores = parsed.Select(p => p!).ToList();
            }
            return new BatchResult
            {
                Item = line1,
                Id = Text("id"),
                Status = status.Value,
                Video = Text("video") ?? "",
                Output = output,
                Outputs = outputs,
                Seconds = root.TryGetProperty("seconds", out var sec) && sec.TryGetDouble(out double seconds) ? seconds : 0,
                Error = Text("error"),
                Scores = scores,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Appends <paramref name="result"/> as one line and flushes it to disk. Safe to call from several threads.
    /// A failed write (a full disk) is a <see cref="BatchException"/>.
    /// </summary>
    public void Append(BatchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        byte[] line = Format(result);
        lock (_lock)
        {
            try
            {
                _stream.Seek(0, SeekOrigin.End);
                if (_needsNewline) _stream.WriteByte((byte)'\n');
                _needsNewline = false;
                _stream.Write(line);
                _stream.Flush(flushToDisk: true);
            }
            catch (IOException e)
            {
                // A full disk or a lost mount: the batch cannot record what it does, so it stops (and resumes later).
                _needsNewline = true;
                throw new BatchException($"results file {Path}: cannot write to it ({e.Message})");
            }
        }
    }

    /// <summary>One results line, newline included.</summary>
    public static byte[] Format(BatchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var buffer = new MemoryStream();
        // Relaxed escaping: quotes and non-ASCII letters as they are, readable with grep; still valid JSON.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteNumber("item", result.Item);
            if (result.Id is not null) json.WriteString("id", Clean(result.Id));
            json.WriteString("status", result.Status == BatchItemStatus.Ok ? "ok" : "failed");
            json.WriteString("video", Clean(result.Video));
            json.WriteString("output", Clean(result.Output));
            json.WriteStartArray("outputs");
            foreach (string o in result.Outputs) json.WriteStringValue(Clean(o));
            json.WriteEndArray();
            json.WriteNumber("seconds", Math.Round(result.Seconds, 3));
            if (result.Error is null) json.WriteNull("error");
            else json.WriteString("error", Clean(result.Error));
            if (result.Scores is { } scores)
            {
                json.WritePropertyName("scores");
                if (scores.Count == 1) scores[0].WriteJson(json);
                else
                {
                    json.WriteStartArray();
                    foreach (var s in scores) s.WriteJson(json);
                    json.WriteEndArray();
                }
            }
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>Closes the file and releases the lock.</summary>
    public void Dispose()
    {
        _stream.Dispose();
        _held.Dispose();
    }

    /// <summary>Text as JSON can hold it: a lone surrogate (possible in a path read from JSON escapes) becomes U+FFFD.</summary>
    static string Clean(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (!char.IsSurrogate(text[i])) continue;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            var builder = new StringBuilder(text.Length);
            foreach (Rune rune in text.EnumerateRunes()) builder.Append(rune.ToString());
            return builder.ToString();
        }
        return text;
    }
}
