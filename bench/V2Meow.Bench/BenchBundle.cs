using V2Meow.Benchmarking;
using V2Meow.Loaders.Bundles;

namespace V2Meow.Bench;

/// <summary>
/// The bundles the stage and codec benchmarks run on, as the Bundle parameter: V2MEOW_BENCH_BUNDLE (a folder)
/// when set, else the sizes in V2MEOW_BENCH_SIZES (comma-separated, default "small"), each exported once
/// from weights-spec/examples with the reference exporter into the bench cache (needs Python with numpy and torch).
/// </summary>
public static class BenchBundle
{
    public const string FolderVariable = "V2MEOW_BENCH_BUNDLE";
    public const string SizesVariable = "V2MEOW_BENCH_SIZES";

    public static IEnumerable<string> Names()
    {
        string? folder = Environment.GetEnvironmentVariable(FolderVariable);
        if (!string.IsNullOrWhiteSpace(folder)) return [folder];
        string sizes = Environment.GetEnvironmentVariable(SizesVariable) ?? "small";
        return sizes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>The folder of a Bundle parameter value: itself if it is a folder, else the cached bench bundle of that size.</summary>
    public static string Folder(string name)
    {
        if (Directory.Exists(name)) return name;
        var scripts = ReferenceScripts.Locate();
        string cached = Path.Combine(BenchBundles.DefaultCache(), $"{name}-seed{BenchBundles.Seed}");
        if (File.Exists(Path.Combine(cached, "config.json"))) return cached;
        return BenchBundles.Ensure(name, scripts, PythonTorch.Find(), progress: line => Console.WriteLine($"// {line}"));
    }

    public static Bundle Open(string name) => Bundle.Open(Folder(name));
}
