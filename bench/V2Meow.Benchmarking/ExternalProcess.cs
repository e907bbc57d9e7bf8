using System.Diagnostics;
using System.Text;

namespace V2Meow.Benchmarking;

/// <summary>A finished child process: exit code and everything it printed.</summary>
internal sealed record ProcessResult(int ExitCode, string Output, string Error)
{
    /// <summary>The last non-empty line of stderr (a Python traceback ends with the exception), for one-line errors.</summary>
    public string LastErrorLine =>
        Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? $"exit code {ExitCode}";
}

/// <summary>Runs a child process to completion with both streams captured (read concurrently, so neither pipe fills and blocks it).</summary>
internal static class ExternalProcess
{
    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, string? workingDirectory, TimeSpan timeout,
        Action<string>? errorLine = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        info.Environment["PYTHONUNBUFFERED"] = "1";
        using var process = new Process { StartInfo = info };
        var output = new StringBuilder();
        var error = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (error) error.AppendLine(e.Data);
            errorLine?.Invoke(e.Data);
        };
        try { process.Start(); }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new ProcessResult(-1, "", $"cannot start {fileName}: {e.Message}");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new ProcessResult(-1, output.ToString(), error + $"{fileName}: stopped after {timeout.TotalMinutes:0.#} minutes");
        }
        process.WaitForExit(); // drains the asynchronous readers
        return new ProcessResult(process.ExitCode, output.ToString(), error.ToString());
    }
}
