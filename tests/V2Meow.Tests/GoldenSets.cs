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

    public static IEnumerable<string> Names => Directory.GetDirectories(Root).Select(Path.GetFileName).OfType<string>().Order();

    public static string Bundle(string name) => Path.Combine(Root, name, "bundle");
    public static string Golden(string name) => Path.Combine(Root, name, "golden.safetensors");

    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (var n in Names) data.Add(n);
        return data;
    }
}
