namespace V2Meow.Loaders.Video;

/// <summary>
/// A video, audio or feature file that cannot be used, or an ffmpeg that cannot be run. The message names
/// the file and says what is wrong, e.g. <c>clip.mp4: has no video stream (audio only)</c>; ffmpeg's own
/// diagnostics are reduced to their gist, never a stack trace.
/// </summary>
public sealed class MediaException : Exception
{
    /// <summary>The file the problem is about; null when no one file is to blame.</summary>
    public string? FilePath { get; }

    /// <summary>A media error; the message becomes "filePath: problem", or just the problem when no file is named.</summary>
    public MediaException(string? filePath, string problem, Exception? inner = null)
        : base(filePath is null ? problem : $"{filePath}: {problem}", inner)
    {
        FilePath = filePath;
    }
}
