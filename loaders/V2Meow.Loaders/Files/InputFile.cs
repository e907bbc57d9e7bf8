using System.Runtime.InteropServices;

namespace V2Meow.Loaders.Files;

/// <summary>What a path names once its links are followed.</summary>
public enum FileKind
{
    /// <summary>Nothing at the path.</summary>
    Missing,
    /// <summary>A regular file: the only kind an input may be.</summary>
    Regular,
    /// <summary>A folder.</summary>
    Directory,
    /// <summary>A named pipe: reading it blocks until a writer comes.</summary>
    Fifo,
    /// <summary>A character device such as /dev/zero: it may never end.</summary>
    CharacterDevice,
    /// <summary>A block device such as a disk.</summary>
    BlockDevice,
    /// <summary>A Unix domain socket.</summary>
    Socket,
    /// <summary>A link that points to nothing, or a chain of links that loops.</summary>
    BrokenLink,
}

/// <summary>
/// The check every file we read goes through first: after following links, it must be a regular file.
/// A FIFO blocks the reader forever, a character device such as /dev/zero never ends, and a directory
/// is no file at all; all of them are refused with a message naming the path and what it is. Links are
/// followed, so a bundle laid out like a Hugging Face cache (links into <c>blobs/</c>) loads, and the
/// size that counts is the target's, not the link's.
/// </summary>
public static partial class InputFile
{
    /// <summary>What <paramref name="path"/> names after following links.</summary>
    public static FileKind KindOf(string path)
    {
        if (Directory.Exists(path)) return FileKind.Directory;
        var info = new FileInfo(path);
        if (!info.Exists)
            return info.LinkTarget is not null ? FileKind.BrokenLink : FileKind.Missing;
        if (OperatingSystem.IsWindows()) return FileKind.Regular; // no FIFOs or device nodes behind ordinary paths
        return UnixKind(path);
    }

    /// <summary>
    /// The full path of the regular file <paramref name="path"/> resolves to, and its length. Anything else
    /// throws the caller's domain exception, made by <paramref name="error"/> from a problem such as
    /// "is a FIFO (named pipe), not a regular file".
    /// </summary>
    public static (string Target, long Length) Require(string path, Func<string, Exception> error)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(error);
        var kind = KindOf(path);
        if (kind != FileKind.Regular) throw error(Problem(kind));
        string target = Resolve(path);
        return (target, new FileInfo(target).Length);
    }

    /// <summary>The message for a path of <paramref name="kind"/> that should have been a regular file.</summary>
    public static string Problem(FileKind kind) => kind switch
    {
        FileKind.Missing => "file not found",
        FileKind.BrokenLink => "is a link to a file that does not exist",
        FileKind.Directory => "is a directory, not a file",
        FileKind.Fifo => "is a FIFO (named pipe), not a regular file",
        FileKind.CharacterDevice => "is a character device, not a regular file",
        FileKind.BlockDevice => "is a block device, not a regular file",
        FileKind.Socket => "is a socket, not a regular file",
        _ => "is a regular file",
    };

    /// <summary>The full path <paramref name="path"/> names after following every link (itself when it is none).</summary>
    public static string Resolve(string path)
    {
        string full = Path.GetFullPath(path);
        try
        {
            var target = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true);
            return target is null ? full : Path.GetFullPath(target.FullName);
        }
        catch (IOException)
        {
            return full; // a loop of links: reported by KindOf as a broken link
        }
    }

    /// <summary>Whether two paths name the same file once links are followed (device and inode on Unix).</summary>
    public static bool SameFile(string a, string b)
    {
        if (string.Equals(Resolve(a), Resolve(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
            return true;
        if (OperatingSystem.IsWindows()) return false;
        // Hard links and bind mounts: the same inode on the same device is the same file.
        return Stat(a) is { } x && Stat(b) is { } y && x.Device == y.Device && x.Inode == y.Inode;
    }

    static FileKind UnixKind(string path)
    {
        if (Stat(path) is not { } status) return FileKind.Missing;
        // The runtime's portable mode bits (System.Native's PAL_S_IF*), the same numbers as POSIX's.
        return (status.Mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x1000 => FileKind.Fifo,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            0xC000 => FileKind.Socket,
            _ => FileKind.BrokenLink,
        };
    }

    readonly record struct Status(int Mode, long Device, long Inode);

    /// <summary>
    /// stat(2) through the runtime's own System.Native library, which every .NET process on Unix has
    /// loaded: .NET exposes no file type, and System.Native's FileStatus has the same layout on every
    /// architecture (unlike libc's struct stat). Mode is its second field; device and inode sit after the
    /// eight time fields. The buffer is larger than the struct, so a longer future layout still fits.
    /// </summary>
    static unsafe Status? Stat(string path)
    {
        byte* buffer = stackalloc byte[512];
        new Span<byte>(buffer, 512).Clear();
        int result;
        try { result = SystemNativeStat(path, buffer); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No System.Native to ask: fall back to "exists and is not a directory".
            return File.Exists(path) ? new Status(0x8000, 0, 0) : null;
        }
        if (result != 0) return null;
        int mode = *(int*)(buffer + 4);
        // Flags, Mode, Uid, Gid (4 bytes each), Size, then ATime … BirthTimeNsec (8 × 8 bytes), Dev, RDev, Ino.
        long device = *(long*)(buffer + 16 + 8 + 64);
        long inode = *(long*)(buffer + 16 + 8 + 64 + 16);
        return new Status(mode, device, inode);
    }

    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_Stat", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int SystemNativeStat(string path, byte* status);
}
