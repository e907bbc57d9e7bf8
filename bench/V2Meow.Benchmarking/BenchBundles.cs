namespace V2Meow.Benchmarking;

/// <summary>
/// Bench bundles made on demand: weights-spec/examples/{size}.json with random weights (seed 1) from the
/// reference exporter of the config's family (export.py for v2meow/1, <c>python -m vmas.export</c> for the
/// vmas-* sizes), kept in a cache folder outside the repository (bundles are never committed) and made
/// again when the example config changes.
/// </summary>
public static class BenchBundles
{
    public const string CacheVariable = "V2MEOW_BENCH_CACHE";
    public const int Seed = 1;
    public static readonly string[] Sizes = ["tiny", "small", "paper", "vmas-tiny", "vmas-small", "vmas-paper"];

    /// <summary>Whether <paramref name="size"/> names a vmas/1 example config.</summary>
    public static bool IsVmas(string size) => size.StartsWith("vmas-", StringComparison.Ordinal);

    /// <summary>$V2MEOW_BENCH_CACHE, else $XDG_CACHE_HOME/v2meow/bench, else ~/.cache/v2meow/bench.</summary>
    public static string DefaultCache()
    {
        string? given = Environment.GetEnvironmentVariable(CacheVariable);
        if (!string.IsNullOrWhiteSpace(given)) return given;
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrWhiteSpace(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "v2meow", "bench");
    }

    /// <summary>The bundle folder for <paramref name="size"/>, exported first if missing or made from another config.</summary>
    public static string Ensure(string size, ReferenceScripts scripts, PythonTorch python, string? cache = null, Action<string>? progress = null)
    {
        if (!Sizes.Contains(size))
            throw new ArgumentException($"unknown bench size '{size}'; expected {string.Join(", ", Sizes)}", nameof(size));
        string config = scripts.ExampleConfig(size);
        if (!File.Exists(config)) throw new BenchmarkException($"{config}: example config is missing");
        string folder = Path.Combine(cache ?? DefaultCache(), $"{size}-seed{Seed}");
        string stamp = Path.Combine(folder, "source-config.json");
        string wanted = File.ReadAllText(config);
        if (File.Exists(stamp) && File.ReadAllText(stamp) == wanted && File.Exists(Path.Combine(folder, "config.json")))
            return folder;

        progress?.Invoke($"exporting the {size} bench bundle (random weights, seed {Seed}) into {folder}");
        // Export beside the target and move into place, so an interrupted export never looks complete.
        string temporary = Path.GetFullPath($"{folder}.partial-{Environment.ProcessId}");
        Directory.CreateDirectory(Path.GetDirectoryName(temporary)!);
        if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        string seed = Seed.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The vmas package imports the shared reference modules: run it from weights-spec/reference (VMAS.md §13).
        var (exporter, arguments, workingDirectory) = IsVmas(size)
            ? ("vmas.export", new[] { "-m", "vmas.export", "--config", config, "--seed", seed, "--out", temporary }, scripts.ReferenceFolder)
            : (scripts.Exporter, new[] { scripts.Exporter, "--config", config, "--seed", seed, "--out", temporary }, scripts.Root);
        var result = ExternalProcess.Run(python.Executable, arguments, workingDirectory, TimeSpan.FromMinutes(30));
        if (result.ExitCode != 0)
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
            throw new BenchmarkException($"{exporter}: export of {config} failed: {result.LastErrorLine}");
        }
        File.WriteAllText(Path.Combine(temporary, "source-config.json"), wanted);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.Move(temporary, folder);
        return folder;
    }
}
