using System.Runtime.InteropServices;

namespace V2Meow.Loaders.Safetensors;

/// <summary>A zero-copy view of one tensor inside a mapped <see cref="SafetensorsFile"/>.</summary>
public readonly unsafe struct TensorView
{
    readonly SafetensorsFile _file;
    readonly byte* _data;

    /// <summary>The header entry: name, dtype, shape and byte range.</summary>
    public TensorEntry Entry { get; }
    /// <summary>The tensor's name in the file.</summary>
    public string Name => Entry.Name;
    /// <summary>The element type as stored.</summary>
    public DType DType => Entry.DType;
    /// <summary>Shape, outermost dimension first (row-major).</summary>
    public long[] Shape => Entry.Shape;
    /// <summary>Number of elements, the product of the shape.</summary>
    public long ElementCount => Entry.ElementCount;
    /// <summary>Path of the file the tensor lives in, for messages.</summary>
    public string FilePath => _file.Path;

    internal TensorView(SafetensorsFile file, TensorEntry entry, byte* data)
    {
        _file = file;
        Entry = entry;
        _data = data;
    }

    /// <summary>The stored bytes, straight from the mapping; throws once the file is disposed or past 2 GiB.</summary>
    public ReadOnlySpan<byte> Bytes
    {
        get
        {
            _file.ThrowIfDisposed();
            if (Entry.ByteLength > int.MaxValue)
                throw new SafetensorsFormatException(_file.Path, Name,
                    $"{Entry.ByteLength} bytes is larger than one span can address");
            return new ReadOnlySpan<byte>(_data, (int)Entry.ByteLength);
        }
    }

    /// <summary>The raw elements as <typeparamref name="T"/>; the dtype must have T's size.</summary>
    public ReadOnlySpan<T> As<T>() where T : unmanaged
    {
        if (sizeof(T) != DTypes.SizeOf(DType))
            throw new SafetensorsFormatException(_file.Path, Name,
                $"cannot view {DTypes.Name(DType)} elements as {typeof(T).Name}");
        return MemoryMarshal.Cast<byte, T>(Bytes);
    }

    /// <summary>Converts any floating or integer dtype to f32 into <paramref name="destination"/>.</summary>
    public void CopyToFloat32(Span<float> destination)
    {
        if (destination.Length != ElementCount)
            throw new ArgumentException($"destination holds {destination.Length} elements, tensor '{Name}' has {ElementCount}");
        DTypeConversion.ToFloat32(Bytes, DType, destination);
    }

    /// <summary>A new f32 array holding every element converted (<see cref="CopyToFloat32"/>).</summary>
    public float[] ToFloat32()
    {
        var result = new float[checked((int)ElementCount)];
        CopyToFloat32(result);
        return result;
    }

    /// <summary>Integer tensors (token ids, codes) as int32; values outside int32 are an error.</summary>
    public int[] ToInt32()
    {
        if (!DTypes.IsInteger(DType))
            throw new SafetensorsFormatException(_file.Path, Name,
                $"expected an integer dtype, found {DTypes.Name(DType)}");
        var result = new int[checked((int)ElementCount)];
        if (!DTypeConversion.TryToInt32(Bytes, DType, result, out long bad))
            throw new SafetensorsFormatException(_file.Path, Name, $"value {bad} does not fit in int32");
        return result;
    }
}
