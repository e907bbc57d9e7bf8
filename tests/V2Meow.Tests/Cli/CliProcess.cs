using System.Diagnostics;

namespace V2Meow.Tests.Cli;

/// <summary>
/// Runs the CLI as its own process (the v2meow.dll built beside the tests): for what an in-process run
/// cannot show, such as a relative path resolved against another working folder, or a signal.
/// </summary>
internal sealed class CliProcess : IDisposable
{
    /// <summary>A guard against a hang, not a timing: far longer than any of these runs takes.</summary>
    static readonly TimeSpan Guard = TimeSpan.FromMinutes(5);

    readonly Process _process;
    readonly Task<string> _output, _error;

    CliProcess(Process process)
    {
        _process = process;
        _output = process.StandardOutput.ReadToEndAsync();
        _error = process.StandardError.ReadToEndAsync();
    }

    public int Id => _process.Id;

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "v2meow.dll");

    public static CliProcess Start(string workingFolder, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Dll);
        foreach (string a in args) info.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        var process = Process.Start(info)!;
        process.StandardInput.Close();
        return new CliProcess(process);
    }

    public static async Task<(int Code, string Out, string Err)> RunAsync(string workingFolder, params string[] args)
    {
        using var cli = Start(workingFolder, null, args);
        return await cli.WaitAsync();
    }

    public async Task<(int Code, string Out, string Err)> WaitAsync()
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(Guard);
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
            throw;
        }
        return (_process.ExitCode, await _output, await _error);
    }

    /// <summary>Sends SIGTERM, as kill(1), systemd and Kubernetes do.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
