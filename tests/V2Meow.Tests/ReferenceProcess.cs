using System.ComponentModel;
using System.Diagnostics;

namespace V2Meow.Tests;

/// <summary>Runs the Python reference (and ffmpeg) from a test: the parity tests compare the runtime with what they print or write.</summary>
internal static class ReferenceProcess
{
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "weights-spec", "reference", "extractor.py"))) return dir.FullName;
        throw new DirectoryNotFoundException("weights-spec/reference/extractor.py not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Debian's Python, which has python3-torch and numpy; the first python3 on PATH may not.</summary>
    public static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    /// <summary>Runs a command to completion and returns its standard output; a failure fails the test with its standard error.</summary>
    public static string Run(string fileName, IEnumerable<string> arguments, string workingDirectory)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"{fileName} did not start");
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"cannot run '{fileName}' ({e.Message}): the parity tests need Python 3 with numpy and torch " +
                        "(/usr/bin/python3 or python3 on PATH) and ffmpeg");
            throw;
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                Assert.Fail($"{fileName} {string.Join(' ', arguments)} exited {process.ExitCode}: {stderr.Result.Trim()}");
            return stdout;
        }
    }
}
