namespace V2Meow.Benchmarking;

/// <summary>
/// Bench bundles made on demand: weights-spec/examples/{size}.json with random weights (seed 1) from the
/// reference exporter, kept in a cache folder outside the repository (bundles are never committed) and
/// made again when the example config changes.
/// </summary>
public static class BenchBundles
{
    public const string CacheVariable = "V2MEOW_BENCH_CACHE";
    public const int Seed = 1;
    public static readonly string[] Sizes = ["tiny", "small", "paper"];

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
        string temporary = $"{folder}.partial-{Environment.ProcessId}";
        Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
        if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        var result = ExternalProcess.Run(python.Executable,
            [scripts.Exporter, "--config", config, "--seed", Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", temporary],
            scripts.Root, TimeSpan.FromMinutes(30));
        if (result.ExitCode != 0)
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
            throw new BenchmarkException($"{scripts.Exporter}: export of {config} failed: {result.LastErrorLine}");
        }
        File.WriteAllText(Path.Combine(temporary, "source-config.json"), wanted);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.Move(temporary, folder);
        return folder;
    }
}
