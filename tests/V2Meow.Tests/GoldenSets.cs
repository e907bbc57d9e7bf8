namespace V2Meow.Tests;

/// <summary>The golden sets committed under tests/golden/ (bundle + golden.safetensors from the PyTorch reference).</summary>
public static class GoldenSets
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "tests", "golden");
                if (Directory.Exists(candidate)) return candidate;
            }
            throw new DirectoryNotFoundException("tests/golden not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The v2meow/1 sets: tiny, odd, enc_dec, tiny_f16.</summary>
    public static IEnumerable<string> Names => AllNames.Where(n => !IsVmas(n));

    /// <summary>The vmas/1 sets: vmas-tiny, vmas-odd, vmas-tiny_f16.</summary>
    public static IEnumerable<string> VmasNames => AllNames.Where(IsVmas);

    static IEnumerable<string> AllNames => Directory.GetDirectories(Root).Select(Path.GetFileName).OfType<string>().Order();

    static bool IsVmas(string name) => name.StartsWith("vmas-", StringComparison.Ordinal);

    public static string Bundle(string name) => Path.Combine(Root, name, "bundle");
    public static string Golden(string name) => Path.Combine(Root, name, "golden.safetensors");

    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (var n in Names) data.Add(n);
        return data;
    }

    public static TheoryData<string> Vmas()
    {
        var data = new TheoryData<string>();
        foreach (var n in VmasNames) data.Add(n);
        return data;
    }
}
