using V2Meow.Loaders.Video;

namespace V2Meow.Loaders.Files;

/// <summary>
/// The checks on where music is written, made before any work so that a bad <c>-o</c> costs nothing:
/// a known extension, an existing folder, nothing there but a regular file we may replace (not a link,
/// a device node or a directory), and not any of the inputs, however it is reached (links, hard links).
/// </summary>
public static class OutputFile
{
    /// <summary>The extensions music can be written as: a WAV, or the video with the music muxed in.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".wav", ".mp4", ".mkv", ".mov"];

    /// <summary>Throws a <see cref="MediaException"/> naming <paramref name="outputPath"/> when it cannot or must not be written.</summary>
    public static void Check(string outputPath, IEnumerable<string?> inputs) => Check(outputPath, inputs, Extensions, "music");

    /// <summary>
    /// As <see cref="Check(string, IEnumerable{string?})"/> for another kind of output: one of <paramref name="extensions"/>
    /// (lower case, with the dot), <paramref name="what"/> ("codes") naming it in the messages.
    /// </summary>
    public static void Check(string outputPath, IEnumerable<string?> inputs, IReadOnlyList<string> extensions, string what)
    {
        ArgumentNullException.ThrowIfNull(outputPath);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(extensions);
        string extension = Path.GetExtension(outputPath);
        if (!extensions.Contains(extension.ToLowerInvariant()))
            throw new MediaException(outputPath,
                $"cannot write a '{(extension.Length == 0 ? "(no extension)" : extension)}' file; use " +
                (extensions.Count == 1 ? extensions[0] : $"{string.Join(", ", extensions.SkipLast(1))} or {extensions[^1]}"));

        string full = Path.GetFullPath(outputPath);
        string folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder)) throw new MediaException(outputPath, $"folder '{folder}' does not exist");

        var info = new FileInfo(full);
        // A link is refused rather than followed or replaced: writing through it would change a file
        // elsewhere, and the rename that finishes a write would replace the link itself.
        if (info.LinkTarget is not null)
            throw new MediaException(outputPath, $"is a symbolic link (to '{info.LinkTarget}'); give the path of a file to write, not a link");
        var kind = InputFile.KindOf(full);
        if (kind == FileKind.Directory) throw new MediaException(outputPath, "is a directory");
        if (kind is not (FileKind.Missing or FileKind.Regular))
            throw new MediaException(outputPath, $"{InputFile.Problem(kind)}; refusing to replace it with {what}");

        if (kind == FileKind.Regular)
        {
            foreach (string? input in inputs)
            {
                if (input is null || InputFile.KindOf(input) != FileKind.Regular) continue;
                if (InputFile.SameFile(full, input))
                    throw new MediaException(outputPath, $"is the input '{input}'; writing the {what} there would replace it (choose another output)");
            }
        }
    }
}
