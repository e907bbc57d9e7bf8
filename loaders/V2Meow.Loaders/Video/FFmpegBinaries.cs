using FFMpegCore;

namespace V2Meow.Loaders.Video;

/// <summary>
/// Where the ffmpeg and ffprobe executables are: a given folder, else FFMpegCore's configured
/// <see cref="GlobalFFOptions"/> folder, else the PATH. Resolved on every use, so a missing binary is
/// reported as a <see cref="MediaException"/> that says to install ffmpeg rather than as a process error.
/// </summary>
public sealed class FFmpegBinaries
{
    /// <summary>GlobalFFOptions' folder when one is configured, else the PATH.</summary>
    public static FFmpegBinaries Default { get; } = new(null);

    /// <summary>The folder to look in; null for the default lookup.</summary>
    public string? Folder { get; }

    /// <summary>Binaries in <paramref name="folder"/>; null for GlobalFFOptions' folder, else the PATH.</summary>
    public FFmpegBinaries(string? folder) => Folder = folder;

    /// <summary>Full path of the ffmpeg executable; <paramref name="forFile"/> is the media file named in the error.</summary>
    public string FFmpegPath(string? forFile) => Resolve("ffmpeg", forFile);

    /// <summary>Full path of the ffprobe executable; <paramref name="forFile"/> is the media file named in the error.</summary>
    public string FFprobePath(string? forFile) => Resolve("ffprobe", forFile);

    string Resolve(string tool, string? forFile)
    {
        string executable = OperatingSystem.IsWindows() ? tool + ".exe" : tool;
        string? folder = Folder;
        if (string.IsNullOrEmpty(folder) && !string.IsNullOrEmpty(GlobalFFOptions.Current.BinaryFolder))
            folder = GlobalFFOptions.Current.BinaryFolder;

        if (!string.IsNullOrEmpty(folder))
        {
            string candidate = Path.GetFullPath(Path.Combine(folder, executable));
            if (File.Exists(candidate)) return candidate;
            throw new MediaException(forFile,
                $"{tool} was not found in '{folder}'; install ffmpeg (it provides ffmpeg and ffprobe, e.g. " +
                "'apt-get install ffmpeg' on Debian/Ubuntu) or point the ffmpeg folder at an existing installation");
        }

        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (directory.Length == 0) continue;
            string candidate = Path.Combine(directory, executable);
            if (File.Exists(candidate)) return Path.GetFullPath(candidate);
        }
        throw new MediaException(forFile,
            $"{tool} was not found on the PATH; install ffmpeg (it provides ffmpeg and ffprobe, e.g. " +
            "'apt-get install ffmpeg' on Debian/Ubuntu, 'brew install ffmpeg' on macOS) and try again");
    }
}
