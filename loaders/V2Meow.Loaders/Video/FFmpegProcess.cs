using System.ComponentModel;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace V2Meow.Loaders.Video;

/// <summary>
/// One running ffmpeg: arguments passed as a list (no shell quoting), stdin closed, stderr kept (the last
/// lines only) for error messages, killed with its children when disposed before it exits. Owns the process.
/// </summary>
internal sealed partial class FFmpegProcess : IAsyncDisposable
{
    const int KeptErrorLines = 64;

    readonly Process _process;
    readonly Task _errorPump;
    readonly Queue<string> _errorLines = new();
    bool _exited;

    FFmpegProcess(Process process)
    {
        _process = process;
        _errorPump = PumpErrorsAsync();
    }

    /// <summary>ffmpeg's stdout; only readable when started with <c>readOutput</c>.</summary>
    public Stream Output => _process.StandardOutput.BaseStream;

    /// <summary>Starts <paramref name="executable"/>; <paramref name="forFile"/> is the file named if it cannot start.</summary>
    public static FFmpegProcess Start(string executable, IEnumerable<string> arguments, bool readOutput, string? forFile)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = readOutput,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (string argument in arguments) info.ArgumentList.Add(argument);

        var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new MediaException(forFile,
                $"cannot run {executable} ({e.Message}); install ffmpeg (e.g. 'apt-get install ffmpeg') and try again", e);
        }
        process.StandardInput.Close();
        return new FFmpegProcess(process);
    }

    /// <summary>Waits for ffmpeg to exit and for its stderr to be drained; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        await _errorPump.ConfigureAwait(false);
        _exited = true;
        return _process.ExitCode;
    }

    /// <summary>
    /// The gist of what ffmpeg printed: each distinct message once, without the "[mov,mp4 @ 0x…]" and
    /// "path: " prefixes, at most <paramref name="maxMessages"/> of them.
    /// </summary>
    public string ErrorSummary(string? filePath, int maxMessages = 3)
    {
        string[] lines;
        lock (_errorLines) lines = [.. _errorLines];
        return Summarise(lines, filePath, maxMessages);
    }

    /// <summary>Whether ffmpeg printed anything on stderr; run at <c>-loglevel error</c>, anything it prints is an error.</summary>
    public bool PrintedErrors
    {
        get { lock (_errorLines) return _errorLines.Count > 0; }
    }

    internal static string Summarise(IEnumerable<string> lines, string? filePath, int maxMessages)
    {
        var messages = new List<string>();
        foreach (string raw in lines)
        {
            string line = ContextPrefix().Replace(raw.Trim(), "");
            if (filePath is not null && line.StartsWith(filePath + ": ", StringComparison.Ordinal))
                line = line[(filePath.Length + 2)..];
            line = line.Trim().TrimEnd('.');
            if (line.Length == 0 || messages.Contains(line)) continue;
            messages.Add(line);
        }
        if (messages.Count == 0) return "no diagnostic output";
        // The first messages are usually the cause, the last ones the consequence ("Conversion failed").
        return string.Join("; ", messages.Take(maxMessages));
    }

    [GeneratedRegex(@"^(\[[^\]]+ @ (0x)?[0-9a-fA-F]+\]\s*)+")]
    private static partial Regex ContextPrefix();

    async Task PumpErrorsAsync()
    {
        var reader = _process.StandardError;
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            lock (_errorLines)
            {
                _errorLines.Enqueue(line);
                if (_errorLines.Count > KeptErrorLines) _errorLines.Dequeue();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_exited)
        {
            try
            {
                if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException) { } // exited between the check and the kill
            catch (Win32Exception) { }
            await _process.WaitForExitAsync().ConfigureAwait(false);
            try { await _errorPump.ConfigureAwait(false); } catch (IOException) { }
        }
        _process.Dispose();
    }
}
