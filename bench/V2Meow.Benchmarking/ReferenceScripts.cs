namespace V2Meow.Benchmarking;

/// <summary>
/// The repository files the side-by-side benchmark runs: the PyTorch timing scripts, the reference exporters
/// and the example configs. Found from a given folder, V2MEOW_REPO, the working directory or the program's
/// folder, each searched upwards (so the packed program finds the tree it was copied with).
/// </summary>
public sealed record ReferenceScripts(string Root)
{
    public const string EnvironmentVariable = "V2MEOW_REPO";

    public string TimingScript => Path.Combine(Root, "bench", "pytorch", "reference_bench.py");
    /// <summary>The vmas/1 half: imports weights-spec/reference/vmas.</summary>
    public string VmasTimingScript => Path.Combine(Root, "bench", "pytorch", "reference_bench_vmas.py");
    public string Exporter => Path.Combine(Root, "weights-spec", "reference", "export.py");
    /// <summary>weights-spec/reference: the folder the vmas package's tools run from (<c>python -m vmas.export</c>, VMAS.md §13).</summary>
    public string ReferenceFolder => Path.Combine(Root, "weights-spec", "reference");
    public string ExampleConfig(string size) => Path.Combine(Root, "weights-spec", "examples", size + ".json");

    public static ReferenceScripts Locate(string? hint = null)
    {
        var starts = new[] { hint, Environment.GetEnvironmentVariable(EnvironmentVariable), Environment.CurrentDirectory, AppContext.BaseDirectory };
        foreach (var start in starts)
        {
            if (string.IsNullOrWhiteSpace(start)) continue;
            for (var folder = new DirectoryInfo(Path.GetFullPath(start)); folder is not null; folder = folder.Parent)
            {
                var scripts = new ReferenceScripts(folder.FullName);
                if (File.Exists(scripts.TimingScript) && File.Exists(scripts.Exporter)) return scripts;
            }
        }
        throw new BenchmarkException(
            "cannot find bench/pytorch/reference_bench.py and weights-spec/reference/export.py; run from the repository " +
            $"(or a copy of it), or set {EnvironmentVariable} to its root");
    }

    /// <summary>The short commit of the tree (V2MEOW_COMMIT when set, as on a machine the tree was copied to without .git), "+ changes" when it has uncommitted ones.</summary>
    public string Commit()
    {
        string? given = Environment.GetEnvironmentVariable("V2MEOW_COMMIT");
        if (!string.IsNullOrWhiteSpace(given)) return given.Trim();
        var head = ExternalProcess.Run("git", ["-C", Root, "rev-parse", "--short", "HEAD"], null, TimeSpan.FromSeconds(30));
        if (head.ExitCode != 0) return "unknown";
        var status = ExternalProcess.Run("git", ["-C", Root, "status", "--porcelain", "--untracked-files=no"], null, TimeSpan.FromSeconds(30));
        string commit = head.Output.Trim();
        return status.ExitCode == 0 && status.Output.Trim().Length > 0 ? commit + " + uncommitted changes" : commit;
    }
}
