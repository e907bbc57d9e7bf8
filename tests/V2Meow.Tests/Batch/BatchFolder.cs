using System.Buffers.Binary;
using System.Text.Json;
using V2Meow.Loaders.Features;
using V2Meow.Runtime.Batch;
using V2Meow.Tests.Video;

namespace V2Meow.Tests.Batch;

/// <summary>
/// A folder as a batch sees it on shared storage: a 1-second clip (ffmpeg testsrc, 64×48), the features the
/// tiny golden bundle reads (one row of 16 for one second at 1 fps), an out/ folder and a manifest of items
/// that all generate from that clip with the tiny bundle, each to its own output.
/// </summary>
internal sealed class BatchFolder : IDisposable
{
    readonly TempDirectory _dir = new();

    public string Path => _dir.Path;
    public string File(string name) => _dir.File(name);
    public string Manifest => _dir.File("catalogue.jsonl");
    public static string Bundle => GoldenSets.Bundle("tiny");

    public static async Task<BatchFolder> CreateAsync()
    {
        var folder = new BatchFolder();
        Directory.CreateDirectory(folder.File("in"));
        Directory.CreateDirectory(folder.File("out"));
        await TestMedia.Ffmpeg($"-f lavfi -i testsrc=size=64x48:rate=10:duration=1 -c:v libx264 -preset ultrafast -pix_fmt yuv420p \"{folder.File("in/clip.mp4")}\"");
        var row = new float[1, 16];
        for (int j = 0; j < 16; j++) row[0, j] = 0.1f * (j - 8);
        NpyFile.Write(folder.File("clip.npy"), row);
        return folder;
    }

    /// <summary>A good item: the clip, with features, to out/NAME.</summary>
    public static string Item(string output, int seed, string? extra = null) =>
        $"{{\"video\": \"in/clip.mp4\", \"output\": {JsonSerializer.Serialize(output)}, \"seed\": {seed}, \"features\": {{\"clip\": \"clip.npy\"}}{(extra is null ? "" : ", " + extra)}}}";

    /// <summary>Writes the manifest: <paramref name="count"/> good items out/item-NN.wav, then <paramref name="more"/> lines.</summary>
    public string WriteManifest(int count, params string[] more)
    {
        var lines = Enumerable.Range(0, count).Select(i => Item($"out/item-{i:00}.wav", i)).Concat(more);
        System.IO.File.WriteAllText(Manifest, string.Join("\n", lines) + "\n");
        return Manifest;
    }

    /// <summary>Every results line of every results file in the folder.</summary>
    public List<BatchResult> AllResults() =>
        Directory.GetFiles(Path, "*.results*.jsonl").SelectMany(ResultsJournal.Read).ToList();

    /// <summary>Files a write left half done: the writers' temporaries.</summary>
    public string[] Temporaries() =>
        Directory.GetFiles(File("out"), ".*").Where(f => f.EndsWith(".tmp") || f.EndsWith(".partial")).ToArray();

    /// <summary>Whether <paramref name="path"/> is a whole WAV: its RIFF and data sizes match its length.</summary>
    public static bool IsWholeWav(string path)
    {
        byte[] bytes = System.IO.File.ReadAllBytes(path);
        return bytes.Length > 44 && bytes.AsSpan(0, 4).SequenceEqual("RIFF"u8)
            && BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)) == bytes.Length - 8
            && BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(40)) == bytes.Length - 44;
    }

    public void Dispose() => _dir.Dispose();
}
