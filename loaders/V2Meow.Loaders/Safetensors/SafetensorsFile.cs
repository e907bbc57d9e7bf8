using System.IO.MemoryMappedFiles;
using V2Meow.Loaders.Files;

namespace V2Meow.Loaders.Safetensors;

/// <summary>
/// A memory-mapped safetensors file. The header is validated on open; tensors are views straight into
/// the mapping (no copy) that stay valid until the file is disposed.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    readonly MemoryMappedFile _map;
    readonly MemoryMappedViewAccessor _view;
    readonly byte* _base;
    bool _disposed;

    /// <summary>The path the file was opened from, as given.</summary>
    public string Path { get; }
    /// <summary>File size in bytes.</summary>
    public long Length { get; }
    /// <summary>The validated header: metadata and tensor entries.</summary>
    public SafetensorsHeader Header { get; }
    /// <summary>The header's __metadata__ strings (SPEC §2.3), empty when there are none.</summary>
    public IReadOnlyDictionary<string, string> Metadata => Header.Metadata;
    /// <summary>Every tensor entry in file order.</summary>
    public IReadOnlyList<TensorEntry> Tensors => Header.Tensors;

    SafetensorsFile(string path, long length, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer)
    {
        Path = path;
        Length = length;
        _map = map;
        _view = view;
        _base = basePointer;
        try
        {
            long headerLength = SafetensorsHeader.ReadHeaderLength(path, new ReadOnlySpan<byte>(_base, 8), length);
            Header = SafetensorsHeader.Parse(path, new ReadOnlySpan<byte>(_base + 8, checked((int)headerLength)), length);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Maps the file read-only and validates its header; any problem is a <see cref="SafetensorsFormatException"/>.</summary>
    public static SafetensorsFile Open(string path)
    {
        // Links are followed (a Hugging Face cache links into blobs/) and the target's size is the one that
        // counts; the target must be a regular file: a device such as /dev/zero cannot be mapped.
        var kind = InputFile.KindOf(path);
        if (kind == FileKind.Missing)
            throw new SafetensorsFormatException(path, null, "file does not exist");
        var (target, length) = InputFile.Require(path, problem => new SafetensorsFormatException(path, null, problem));
        if (length < 8)
            throw new SafetensorsFormatException(path, null,
                $"file is {length} bytes; expected at least 8 (the header length prefix)");

        MemoryMappedFile map;
        try
        {
            map = MemoryMappedFile.CreateFromFile(target, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SafetensorsFormatException(path, null, $"cannot be opened: {e.Message}", e);
        }
        var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        pointer += view.PointerOffset;
        return new SafetensorsFile(path, length, map, view, pointer);
    }

    /// <summary>Whether the header has a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => Header.TryGet(name, out _);

    /// <summary>The tensor called <paramref name="name"/>; a missing one is a format error naming it.</summary>
    public TensorView Get(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Header.TryGet(name, out var entry))
            throw new SafetensorsFormatException(Path, name, "missing; the file does not contain this tensor");
        return new TensorView(this, entry, _base + Header.DataStart + entry.Begin);
    }

    /// <summary>
    /// The tensor called <paramref name="name"/>, checked to have exactly <paramref name="shape"/> and a
    /// dtype the caller accepts.
    /// </summary>
    public TensorView Get(string name, ReadOnlySpan<long> shape, params DType[] acceptedDTypes)
    {
        var view = Get(name);
        if (!view.Shape.AsSpan().SequenceEqual(shape))
            throw new SafetensorsFormatException(Path, name,
                $"expected shape [{string.Join(", ", shape.ToArray())}], found {view.Entry.ShapeText}");
        if (acceptedDTypes.Length > 0 && Array.IndexOf(acceptedDTypes, view.DType) < 0)
            throw new SafetensorsFormatException(Path, name,
                $"expected dtype {string.Join(" or ", acceptedDTypes.Select(DTypes.Name))}, found {DTypes.Name(view.DType)}");
        return view;
    }

    /// <summary>Unmaps the file; every <see cref="TensorView"/> from it is invalid afterwards.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
