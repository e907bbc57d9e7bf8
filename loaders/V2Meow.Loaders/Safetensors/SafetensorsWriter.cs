using System.Text.Json;

namespace V2Meow.Loaders.Safetensors;

/// <summary>
/// Writes safetensors files: tensors laid out back to back in the order added, header padded with
/// spaces to an 8-byte boundary so the data section is aligned for every dtype.
/// </summary>
public sealed class SafetensorsWriter
{
    readonly List<(string Name, DType DType, long[] Shape, byte[] Data)> _tensors = new();
    readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    /// <summary>Sets a __metadata__ string, replacing an earlier value for <paramref name="key"/>.</summary>
    public SafetensorsWriter AddMetadata(string key, string value)
    {
        _metadata[key] = value;
        return this;
    }

    /// <summary>
    /// Adds a tensor of raw little-endian bytes; <paramref name="data"/> must be exactly the shape's element count × the dtype's size.
    /// </summary>
    public SafetensorsWriter Add(string name, DType dtype, long[] shape, ReadOnlySpan<byte> data)
    {
        long count = 1;
        foreach (long d in shape) count = checked(count * d);
        if (count * DTypes.SizeOf(dtype) != data.Length)
            throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", shape)}] of {DTypes.Name(dtype)} needs {count * DTypes.SizeOf(dtype)} bytes, got {data.Length}");
        if (name == "__metadata__" || _tensors.Any(t => t.Name == name))
            throw new ArgumentException($"tensor '{name}' is added twice or uses a reserved name");
        _tensors.Add((name, dtype, shape, data.ToArray()));
        return this;
    }

    /// <summary>Adds a tensor from unmanaged elements whose size matches <paramref name="dtype"/>'s.</summary>
    public SafetensorsWriter Add<T>(string name, DType dtype, long[] shape, ReadOnlySpan<T> values) where T : unmanaged =>
        Add(name, dtype, shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));

    /// <summary>Adds an F32 tensor.</summary>
    public SafetensorsWriter AddFloat32(string name, long[] shape, ReadOnlySpan<float> values) => Add(name, DType.F32, shape, values);

    /// <summary>The whole file: length prefix, header, data.</summary>
    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        WriteTo(stream);
        return stream.ToArray();
    }

    /// <summary>Writes the whole file (length prefix, header, data) to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        byte[] header = BuildHeader();
        stream.Write(BitConverter.GetBytes((ulong)header.Length));
        stream.Write(header);
        foreach (var t in _tensors) stream.Write(t.Data);
    }

    /// <summary>Writes to a temporary name and renames, so a failure never leaves a partial file at <paramref name="path"/>.</summary>
    public void Save(string path)
    {
        string temporary = path + ".partial";
        using (var stream = File.Create(temporary)) WriteTo(stream);
        File.Move(temporary, path, overwrite: true);
    }

    byte[] BuildHeader()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (_metadata.Count > 0)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in _metadata) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in _tensors)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", DTypes.Name(t.DType));
                json.WriteStartArray("shape");
                foreach (long d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + t.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += t.Data.Length;
            }
            json.WriteEndObject();
        }
        int padding = (int)((8 - buffer.Length % 8) % 8);
        for (int i = 0; i < padding; i++) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }
}
