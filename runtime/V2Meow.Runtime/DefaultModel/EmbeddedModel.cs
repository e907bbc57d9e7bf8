using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;

namespace V2Meow.Runtime;

/// <summary>
/// One bundle compiled into this assembly (DefaultModel/README.md). Bundles are memory-mapped from disk, so it
/// is unpacked once into a per-content cache folder and reused. <see cref="EmbeddedModels"/> lists them.
/// </summary>
public sealed class EmbeddedModel
{
    internal const string ResourceRoot = "V2Meow.Embedded.";

    readonly Assembly _assembly;
    readonly string _prefix;
    readonly string[] _resources;

    internal EmbeddedModel(Assembly assembly, string family, string[] resources, string label)
    {
        _assembly = assembly;
        Family = family;
        _prefix = ResourceRoot + family + ".";
        _resources = resources;
        Label = label;
        using var config = JsonDocument.Parse(ConfigText());
        Name = config.RootElement.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() ?? "" : "";
    }

    /// <summary>The family this model belongs to, as <see cref="ModelFamilies"/> names it ("v2meow", "vmas").</summary>
    public string Family { get; }

    /// <summary>The bundle's own name (config.json's <c>name</c>), e.g. "default-music-v5".</summary>
    public string Name { get; }

    /// <summary>What the CLI says when it uses this model, so nobody mistakes it for a general music model.</summary>
    public string Label { get; }

    /// <summary>The folder holding the unpacked bundle; unpacks it on first call.</summary>
    public string EnsureUnpacked(string? cacheRoot = null)
    {
        string root = cacheRoot ?? Path.Combine(
            Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
            "v2meow");
        string folder = Path.Combine(root, Family + "-" + ContentHash());
        if (File.Exists(Path.Combine(folder, ".complete"))) return folder;

        // Unpack beside the final name and rename, so a crash mid-way never leaves a half bundle in use.
        string staging = folder + ".partial-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(staging);
        foreach (string name in _resources)
        {
            using var source = _assembly.GetManifestResourceStream(name)!;
            using var target = File.Create(Path.Combine(staging, name[_prefix.Length..]));
            source.CopyTo(target);
        }
        File.WriteAllText(Path.Combine(staging, ".complete"), "");
        try { Directory.Move(staging, folder); }
        catch (IOException) when (File.Exists(Path.Combine(folder, ".complete")))
        {
            Directory.Delete(staging, recursive: true); // another process won the race with identical content
        }
        return folder;
    }

    /// <summary>The bundle's config.json, read without unpacking it.</summary>
    internal string ConfigText()
    {
        using var stream = _assembly.GetManifestResourceStream(_prefix + "config.json")
            ?? throw new InvalidOperationException($"the embedded {Family} model has no config.json");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    string ContentHash()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string name in _resources)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(name));
            using var stream = _assembly.GetManifestResourceStream(name)!;
            var buffer = new byte[81920];
            int read;
            while ((read = stream.Read(buffer)) > 0) hash.AppendData(buffer.AsSpan(0, read));
        }
        return Convert.ToHexString(hash.GetHashAndReset())[..16].ToLowerInvariant();
    }
}
