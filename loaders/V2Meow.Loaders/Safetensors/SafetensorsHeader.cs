using System.Text;
using System.Text.Json;

namespace V2Meow.Loaders.Safetensors;

/// <summary>
/// The parsed and fully validated header of a safetensors file. Validation happens here, before any
/// tensor byte is touched, so a hostile or truncated file fails with one typed error and never reaches
/// a kernel.
/// </summary>
public sealed class SafetensorsHeader
{
    /// <summary>Largest header we accept; the format's reference implementation uses the same bound.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>The __metadata__ strings; empty when the header has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>Entries in file order (ascending data offset).</summary>
    public IReadOnlyList<TensorEntry> Tensors { get; }
    /// <summary>Offset of the data section from the start of the file (8 + header length).</summary>
    public long DataStart { get; }

    readonly Dictionary<string, TensorEntry> _byName;

    SafetensorsHeader(Dictionary<string, string> metadata, List<TensorEntry> tensors, long dataStart)
    {
        Metadata = metadata;
        Tensors = tensors;
        DataStart = dataStart;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The entry of the tensor called <paramref name="name"/>, if the header has one.</summary>
    public bool TryGet(string name, out TensorEntry entry) => _byName.TryGetValue(name, out entry!);

    /// <summary>Reads the 8-byte length prefix and checks it against the file size.</summary>
    public static long ReadHeaderLength(string file, ReadOnlySpan<byte> prefix, long fileLength)
    {
        if (fileLength < 8)
            throw new SafetensorsFormatException(file, null,
                $"file is {fileLength} bytes; expected at least 8 (the header length prefix)");
        ulong raw = BitConverter.ToUInt64(prefix[..8]);
        if (!BitConverter.IsLittleEndian) raw = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(raw);
        // The value is not echoed: for a file that is not safetensors at all these are its first 8 bytes
        // (a link to a system file would print part of it).
        if (raw > MaxHeaderBytes)
            throw new SafetensorsFormatException(file, null,
                $"not a safetensors file: its first 8 bytes are not a header length (a little-endian integer of at most {MaxHeaderBytes})");
        if ((long)raw > fileLength - 8)
            throw new SafetensorsFormatException(file, null,
                $"header length {raw} runs past the end of the file ({fileLength - 8} bytes follow the prefix); the file is truncated or corrupt");
        if (raw < 2)
            throw new SafetensorsFormatException(file, null, $"header length {raw} is too short for a JSON object");
        return (long)raw;
    }

    /// <summary>Parses and validates <paramref name="headerBytes"/> for a file of <paramref name="fileLength"/> bytes.</summary>
    public static SafetensorsHeader Parse(string file, ReadOnlySpan<byte> headerBytes, long fileLength)
    {
        long dataStart = 8 + headerBytes.Length;
        long dataLength = fileLength - dataStart;
        if (dataLength < 0)
            throw new SafetensorsFormatException(file, null, "header runs past the end of the file");

        string json;
        try { json = new UTF8Encoding(false, true).GetString(headerBytes); }
        catch (DecoderFallbackException e)
        {
            throw new SafetensorsFormatException(file, null, "header is not valid UTF-8", e);
        }

        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 }); }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException(file, null, $"header is not valid JSON ({e.Message})", e);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new SafetensorsFormatException(file, null,
                    $"header must be a JSON object, found {doc.RootElement.ValueKind}");

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var tensors = new List<TensorEntry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw new SafetensorsFormatException(file, property.Name, "name appears more than once in the header");
                if (property.Name == "__metadata__")
                    ReadMetadata(file, property.Value, metadata);
                else
                    tensors.Add(ReadEntry(file, property.Name, property.Value, dataLength));
            }

            CheckCoverage(file, tensors, dataLength);
            return new SafetensorsHeader(metadata, tensors, dataStart);
        }
    }

    static void ReadMetadata(string file, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new SafetensorsFormatException(file, null,
                $"__metadata__ must be an object of strings, found {value.ValueKind}");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new SafetensorsFormatException(file, null,
                    $"__metadata__ entry '{item.Name}' must be a string, found {item.Value.ValueKind}");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw new SafetensorsFormatException(file, null, $"__metadata__ entry '{item.Name}' appears more than once");
        }
    }

    static TensorEntry ReadEntry(string file, string name, JsonElement value, long dataLength)
    {
        if (name.Length == 0)
            throw new SafetensorsFormatException(file, name, "tensor name is empty");
        if (value.ValueKind != JsonValueKind.Object)
            throw new SafetensorsFormatException(file, name, $"entry must be an object, found {value.ValueKind}");

        JsonElement? dtypeElement = null, shapeElement = null, offsetsElement = null;
        foreach (var field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype": dtypeElement = field.Value; break;
                case "shape": shapeElement = field.Value; break;
                case "data_offsets": offsetsElement = field.Value; break;
                default:
                    throw new SafetensorsFormatException(file, name,
                        $"unexpected field '{field.Name}'; expected only dtype, shape and data_offsets");
            }
        }
        if (dtypeElement is null || shapeElement is null || offsetsElement is null)
            throw new SafetensorsFormatException(file, name, "entry must have dtype, shape and data_offsets");

        if (dtypeElement.Value.ValueKind != JsonValueKind.String
            || !DTypes.TryParse(dtypeElement.Value.GetString()!, out var dtype))
            throw new SafetensorsFormatException(file, name,
                $"unknown dtype {dtypeElement.Value.GetRawText()}; expected one of F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL");

        long[] shape = ReadIntegers(file, name, "shape", shapeElement.Value, -1);
        long[] offsets = ReadIntegers(file, name, "data_offsets", offsetsElement.Value, 2);
        long begin = offsets[0], end = offsets[1];
        if (begin > end)
            throw new SafetensorsFormatException(file, name, $"data_offsets [{begin}, {end}] are out of order");
        if (end > dataLength)
            throw new SafetensorsFormatException(file, name,
                $"data_offsets [{begin}, {end}] run past the data section ({dataLength} bytes); the file is truncated or corrupt");

        long expectedBytes;
        try
        {
            long count = 1;
            foreach (long dim in shape) count = checked(count * dim);
            expectedBytes = checked(count * DTypes.SizeOf(dtype));
        }
        catch (OverflowException)
        {
            throw new SafetensorsFormatException(file, name, $"shape [{string.Join(", ", shape)}] overflows a 64-bit size");
        }
        if (expectedBytes != end - begin)
            throw new SafetensorsFormatException(file, name,
                $"shape [{string.Join(", ", shape)}] of {DTypes.Name(dtype)} needs {expectedBytes} bytes, but data_offsets [{begin}, {end}] hold {end - begin}");

        return new TensorEntry(name, dtype, shape, begin, end);
    }

    static long[] ReadIntegers(string file, string name, string field, JsonElement value, int requiredCount)
    {
        if (value.ValueKind != JsonValueKind.Array)
            throw new SafetensorsFormatException(file, name, $"{field} must be an array of integers, found {value.ValueKind}");
        int count = value.GetArrayLength();
        if (requiredCount >= 0 && count != requiredCount)
            throw new SafetensorsFormatException(file, name, $"{field} must have {requiredCount} entries, found {count}");
        var result = new long[count];
        int i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long v) || v < 0)
                throw new SafetensorsFormatException(file, name,
                    $"{field} must hold non-negative integers, found {item.GetRawText()}");
            result[i++] = v;
        }
        return result;
    }

    /// <summary>
    /// The tensors must tile the data section exactly: no two share a byte and no byte belongs to none,
    /// so every byte of the file is accounted for.
    /// </summary>
    static void CheckCoverage(string file, List<TensorEntry> tensors, long dataLength)
    {
        tensors.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long cursor = 0;
        foreach (var t in tensors)
        {
            if (t.Begin < cursor)
                throw new SafetensorsFormatException(file, t.Name,
                    $"data_offsets [{t.Begin}, {t.End}] overlap the previous tensor, which ends at {cursor}");
            if (t.Begin > cursor)
                throw new SafetensorsFormatException(file, t.Name,
                    $"bytes [{cursor}, {t.Begin}) before this tensor belong to no tensor");
            cursor = t.End;
        }
        if (cursor != dataLength)
            throw new SafetensorsFormatException(file, null,
                $"data section has {dataLength} bytes but the tensors cover {cursor}; bytes [{cursor}, {dataLength}) belong to no tensor");
    }
}
