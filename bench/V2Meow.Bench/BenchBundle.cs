using V2Meow.Benchmarking;
using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Bundles.Vmas;

namespace V2Meow.Bench;

/// <summary>
/// The bundles the stage and codec benchmarks run on, as the Bundle parameter: V2MEOW_BENCH_BUNDLE (a folder)
/// when set, else the sizes in V2MEOW_BENCH_SIZES (comma-separated, default "small"), each exported once
/// from weights-spec/examples with the reference exporter into the bench cache (needs Python with numpy and torch).
/// The VMAs benchmarks take theirs from V2MEOW_BENCH_VMAS_SIZES (default "vmas-small"); V2MEOW_BENCH_BUNDLE
/// replaces the sizes of its own family only.
/// </summary>
public static class BenchBundle
{
    public const string FolderVariable = "V2MEOW_BENCH_BUNDLE";
    public const string SizesVariable = "V2MEOW_BENCH_SIZES";
    public const string VmasSizesVariable = "V2MEOW_BENCH_VMAS_SIZES";

    /// <summary>The v2meow/1 bundles.</summary>
    public static IEnumerable<string> Names() => Names(vmas: false, SizesVariable, "small");

    /// <summary>The vmas/1 bundles.</summary>
    public static IEnumerable<string> VmasNames() => Names(vmas: true, VmasSizesVariable, "vmas-small");

    static IEnumerable<string> Names(bool vmas, string variable, string fallback)
    {
        string? folder = Environment.GetEnvironmentVariable(FolderVariable);
        if (!string.IsNullOrWhiteSpace(folder) && IsVmasFolder(folder) == vmas) return [folder];
        string sizes = Environment.GetEnvironmentVariable(variable) ?? fallback;
        return sizes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    static bool IsVmasFolder(string folder) =>
        File.Exists(Path.Combine(folder, "config.json")) && BundleFormat.Read(folder) == VmasConfig.FormatName;

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

    public static VmasBundle OpenVmas(string name) => VmasBundle.Open(Folder(name));
}
