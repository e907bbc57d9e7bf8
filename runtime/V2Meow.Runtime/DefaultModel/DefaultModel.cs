using System.Reflection;
using System.Security.Cryptography;

namespace V2Meow.Runtime;

/// <summary>
/// The bundle compiled into this assembly (DefaultModel/README.md): a small model trained on a CPU on real
/// instruments and videos made from their music (training/MODEL_CARD.md). Bundles are memory-mapped from disk, so it is unpacked
/// once into a per-content cache folder and reused.
/// </summary>
public static class DefaultModel
{
    const string Prefix = "V2Meow.DefaultModel.";

    /// <summary>What the CLI says when it uses the embedded model, so nobody mistakes it for a general music model.</summary>
    public const string Label = "embedded default model (small, CPU-trained on rendered real instruments, not a general music model; see training/MODEL_CARD.md)";

    /// <summary>The folder holding the unpacked default bundle; unpacks it on first call.</summary>
    public static string EnsureUnpacked(string? cacheRoot = null)
    {
        var assembly = typeof(DefaultModel).Assembly;
        var names = assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Order().ToArray();
        if (names.Length == 0) throw new InvalidOperationException("the default model is not embedded in this build");

        string root = cacheRoot ?? Path.Combine(
            Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
            "v2meow");
        string folder = Path.Combine(root, "default-" + ContentHash(assembly, names));
        if (File.Exists(Path.Combine(folder, ".complete"))) return folder;

        // Unpack beside the final name and rename, so a crash mid-way never leaves a half bundle in use.
        string staging = folder + ".partial-" + Environment.ProcessId;
        Directory.CreateDirectory(staging);
        foreach (string name in names)
        {
            using var source = assembly.GetManifestResourceStream(name)!;
            using var target = File.Create(Path.Combine(staging, name[Prefix.Length..]));
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

    /// <summary>The embedded bundle's config.json, read without unpacking it.</summary>
    internal static string ConfigText()
    {
        using var stream = typeof(DefaultModel).Assembly.GetManifestResourceStream(Prefix + "config.json")
            ?? throw new InvalidOperationException("the default model is not embedded in this build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    static string ContentHash(Assembly assembly, string[] names)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string name in names)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(name));
            using var stream = assembly.GetManifestResourceStream(name)!;
            var buffer = new byte[81920];
            int read;
            while ((read = stream.Read(buffer)) > 0) hash.AppendData(buffer.AsSpan(0, read));
        }
        return Convert.ToHexString(hash.GetHashAndReset())[..16].ToLowerInvariant();
    }
}
