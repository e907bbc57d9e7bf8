using System.Text.Json;

namespace V2Meow.Benchmarking;

/// <summary>
/// A Python interpreter that imports torch and numpy: what the reference exporter and
/// bench/pytorch/reference_bench.py need.
/// </summary>
public sealed record PythonTorch(string Executable, string TorchVersion, bool CudaAvailable)
{
    /// <summary>Environment variable naming the interpreter when no option does.</summary>
    public const string EnvironmentVariable = "V2MEOW_PYTHON";

    public const string InstallHint =
        "install PyTorch for Python 3 (Debian/Ubuntu: `sudo apt-get install python3-torch python3-numpy`; " +
        "elsewhere: `python3 -m pip install torch numpy`), or name an interpreter that has it with --python PATH or V2MEOW_PYTHON";

    const string Probe = "import json, numpy, torch; print(json.dumps({'torch': torch.__version__, 'cuda': torch.cuda.is_available()}))";

    /// <summary>
    /// The first interpreter that imports torch and numpy: <paramref name="explicitPath"/> (or V2MEOW_PYTHON) alone
    /// when given, else /usr/bin/python3 (Debian's python3-torch), then python3 and python on the PATH.
    /// </summary>
    public static PythonTorch Find(string? explicitPath = null)
    {
        string? chosen = string.IsNullOrWhiteSpace(explicitPath) ? Environment.GetEnvironmentVariable(EnvironmentVariable) : explicitPath;
        string[] candidates = string.IsNullOrWhiteSpace(chosen) ? ["/usr/bin/python3", "python3", "python"] : [chosen];
        var reasons = new List<string>();
        foreach (var candidate in candidates.Distinct())
        {
            if (Path.IsPathRooted(candidate) && !File.Exists(candidate))
            {
                reasons.Add($"{candidate}: not found");
                continue;
            }
            var result = ExternalProcess.Run(candidate, ["-c", Probe], null, TimeSpan.FromMinutes(2));
            if (result.ExitCode == 0)
            {
                try
                {
                    using var json = JsonDocument.Parse(result.Output.Trim().Split('\n')[^1]);
                    return new PythonTorch(candidate, json.RootElement.GetProperty("torch").GetString() ?? "?",
                        json.RootElement.GetProperty("cuda").GetBoolean());
                }
                catch (JsonException) { }
            }
            reasons.Add($"{candidate}: {result.LastErrorLine}");
        }
        throw new BenchmarkException($"no Python with torch and numpy found ({string.Join("; ", reasons)}); {InstallHint}");
    }
}
