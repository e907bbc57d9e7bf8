using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using V2Meow.Loaders.Video;

namespace V2Meow.Loaders.Features;

/// <summary>Element types <see cref="NpyFile"/> reads, with the numpy descr each stands for.</summary>
public enum NpyDType
{
    /// <summary>'&lt;f2'</summary>
    Float16,
    /// <summary>'&lt;f4'</summary>
    Float32,
    /// <summary>'&lt;f8'</summary>
    Float64,
    /// <summary>'&lt;i4'</summary>
    Int32,
    /// <summary>'&lt;i8'</summary>
    Int64,
}

/// <summary>A 1-D or 2-D numpy array read from a .npy file: C order, little-endian data as stored.</summary>
public sealed class NpyArray
{
    /// <summary>The file the array was read from, for messages.</summary>
    public string Path { get; }
    /// <summary>The element type as stored.</summary>
    public NpyDType DType { get; }
    /// <summary>[n] or [rows, columns].</summary>
    public long[] Shape { get; }
    /// <summary>The raw little-endian elements, C order.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    internal NpyArray(string path, NpyDType dtype, long[] shape, ReadOnlyMemory<byte> data)
    {
        Path = path;
        DType = dtype;
        Shape = shape;
        Data = data;
    }

    /// <summary>Number of elements, the product of the shape.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
    /// <summary>Whether the elements are f2, f4 or f8.</summary>
    public bool IsFloat => DType is NpyDType.Float16 or NpyDType.Float32 or NpyDType.Float64;
    /// <summary>The shape as "[a, b]", for messages.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";

    /// <summary>Every element widened or narrowed to float32 (f8 rounds to nearest, integers convert exactly up to 2^24).</summary>
    public float[] ToFloat32()
    {
        var span = Data.Span;
        var result = new float[checked((int)ElementCount)];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = DType switch
            {
                NpyDType.Float16 => (float)BinaryPrimitives.ReadHalfLittleEndian(span[(2 * i)..]),
                NpyDType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(span[(4 * i)..]),
                NpyDType.Float64 => (float)BinaryPrimitives.ReadDoubleLittleEndian(span[(8 * i)..]),
                NpyDType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(span[(4 * i)..]),
                _ => BinaryPrimitives.ReadInt64LittleEndian(span[(8 * i)..]),
            };
        }
        return result;
    }

    /// <summary>Integer elements as int64; a float array is an error.</summary>
    public long[] ToInt64()
    {
        if (IsFloat)
            throw new MediaException(Path, $"expected integers, found {NpyFile.Descr(DType)} (floating point)");
        var span = Data.Span;
        var result = new long[checked((int)ElementCount)];
        for (int i = 0; i < result.Length; i++)
            result[i] = DType == NpyDType.Int32
                ? BinaryPrimitives.ReadInt32LittleEndian(span[(4 * i)..])
                : BinaryPrimitives.ReadInt64LittleEndian(span[(8 * i)..]);
        return result;
    }
}

/// <summary>
/// A strict reader (and a small writer) for numpy's .npy format, versions 1.0, 2.0 and 3.0: magic
/// <c>\x93NUMPY</c>, version bytes, a little-endian header length (2 bytes in 1.0, 4 in 2.0 and 3.0), then a
/// Python dict literal <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (T, D), }</c> ending in a
/// newline, then the data. Accepted: descr '&lt;f2', '&lt;f4', '&lt;f8', '&lt;i4', '&lt;i8'; C order; 1-D or
/// 2-D; data exactly as long as the shape says. Everything else is a <see cref="MediaException"/> that
/// names the file and the problem.
/// </summary>
public static class NpyFile
{
    static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads and validates a .npy file; any problem is a <see cref="MediaException"/> naming it.</summary>
    public static NpyArray Read(string path)
    {
        VideoProbe.CheckReadableFile(path);
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MediaException(path, $"cannot be read: {e.Message}", e);
        }
        return Parse(bytes, path);
    }

    /// <summary>Parses a whole .npy file held in memory; <paramref name="path"/> names it in errors.</summary>
    public static NpyArray Parse(ReadOnlyMemory<byte> file, string path)
    {
        var bytes = file.Span;
        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic))
            throw new MediaException(path, "not a .npy file (missing the \\x93NUMPY magic)");
        byte major = bytes[6], minor = bytes[7];
        if (major is < 1 or > 3 || minor != 0)
            throw new MediaException(path, $".npy version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are)");

        int prefix = major == 1 ? 10 : 12;
        if (bytes.Length < prefix) throw new MediaException(path, "file ends inside the .npy header length");
        long headerLength = major == 1
            ? BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..])
            : BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        if (prefix + headerLength > bytes.Length)
            throw new MediaException(path, $".npy header of {headerLength} bytes runs past the end of the file ({bytes.Length} bytes)");

        var headerBytes = bytes.Slice(prefix, (int)headerLength);
        string header;
        if (major == 3)
        {
            try { header = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(headerBytes); }
            catch (DecoderFallbackException) { throw new MediaException(path, ".npy header is not valid UTF-8"); }
        }
        else
        {
            foreach (byte b in headerBytes)
                if (b > 0x7F) throw new MediaException(path, $".npy {major}.0 header is not ASCII (version 3.0 allows UTF-8)");
            header = Encoding.ASCII.GetString(headerBytes);
        }
        if (!header.EndsWith('\n')) throw new MediaException(path, ".npy header does not end with a newline");

        var (descr, fortranOrder, shape) = new HeaderParser(header, path).ParseDict();
        NpyDType dtype = descr switch
        {
            "<f2" => NpyDType.Float16,
            "<f4" => NpyDType.Float32,
            "<f8" => NpyDType.Float64,
            "<i4" => NpyDType.Int32,
            "<i8" => NpyDType.Int64,
            _ when descr.StartsWith('>') => throw new MediaException(path,
                $"big-endian data ('{descr}') is not supported; save it little-endian (arr.astype('<{descr[1..]}'))"),
            _ => throw new MediaException(path, $"dtype '{descr}' is not supported; use '<f4', '<f8', '<f2', '<i4' or '<i8'"),
        };
        if (fortranOrder)
            throw new MediaException(path, "Fortran-ordered arrays are not supported; save a C-ordered one (np.ascontiguousarray)");
        if (shape.Length is 0 or > 2)
            throw new MediaException(path, $"expected a 1-D or 2-D array, found {shape.Length}-D shape [{string.Join(", ", shape)}]");

        long dataBytes;
        try
        {
            long count = 1;
            foreach (long d in shape) count = checked(count * d);
            dataBytes = checked(count * ItemSize(dtype));
        }
        catch (OverflowException)
        {
            throw new MediaException(path, $"shape [{string.Join(", ", shape)}] of '{descr}' overflows a 64-bit size");
        }
        long available = bytes.Length - prefix - headerLength;
        if (available != dataBytes)
            throw new MediaException(path, available < dataBytes
                ? $"data is truncated: shape [{string.Join(", ", shape)}] of '{descr}' needs {dataBytes} bytes, the file holds {available}"
                : $"{available - dataBytes} bytes after the data of shape [{string.Join(", ", shape)}] of '{descr}'");
        if (dataBytes > int.MaxValue) throw new MediaException(path, $"array of {dataBytes} bytes is too large");

        return new NpyArray(path, dtype, shape, file.Slice(prefix + (int)headerLength, (int)dataBytes));
    }

    /// <summary>Bytes per element.</summary>
    public static int ItemSize(NpyDType dtype) => dtype switch
    {
        NpyDType.Float16 => 2,
        NpyDType.Float32 or NpyDType.Int32 => 4,
        _ => 8,
    };

    /// <summary>The numpy descr of <paramref name="dtype"/>, e.g. "&lt;f4".</summary>
    public static string Descr(NpyDType dtype) => dtype switch
    {
        NpyDType.Float16 => "<f2",
        NpyDType.Float32 => "<f4",
        NpyDType.Float64 => "<f8",
        NpyDType.Int32 => "<i4",
        _ => "<i8",
    };

    /// <summary>Writes a 2-D float32 array as .npy version 1.0, header padded to 64 bytes as numpy does.</summary>
    public static void Write(string path, float[,] values)
    {
        long[] shape = [values.GetLength(0), values.GetLength(1)];
        var data = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, data, 0, data.Length);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts");
        Write(path, NpyDType.Float32, shape, data);
    }

    /// <summary>Writes raw little-endian <paramref name="data"/> of <paramref name="dtype"/> and <paramref name="shape"/> as .npy 1.0.</summary>
    public static void Write(string path, NpyDType dtype, long[] shape, ReadOnlySpan<byte> data)
    {
        File.WriteAllBytes(path, ToBytes(dtype, shape, data));
    }

    /// <summary>The bytes of a .npy 1.0 file holding <paramref name="data"/>.</summary>
    public static byte[] ToBytes(NpyDType dtype, long[] shape, ReadOnlySpan<byte> data)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count * ItemSize(dtype) != data.Length)
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] of {Descr(dtype)} needs {count * ItemSize(dtype)} bytes, got {data.Length}");
        string shapeText = shape.Length == 1
            ? $"({shape[0].ToString(CultureInfo.InvariantCulture)},)"
            : "(" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")";
        string dict = $"{{'descr': '{Descr(dtype)}', 'fortran_order': False, 'shape': {shapeText}, }}";
        int unpadded = 10 + dict.Length + 1;
        int padded = (unpadded + 63) / 64 * 64;
        string header = dict + new string(' ', padded - unpadded) + "\n";

        var result = new byte[10 + header.Length + data.Length];
        Magic.CopyTo(result);
        result[6] = 1;
        result[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), checked((ushort)header.Length));
        Encoding.ASCII.GetBytes(header, result.AsSpan(10));
        data.CopyTo(result.AsSpan(10 + header.Length));
        return result;
    }

    /// <summary>
    /// The subset of Python literal syntax a .npy header uses: one dict with string keys 'descr' (a string),
    /// 'fortran_order' (True/False) and 'shape' (a tuple of non-negative integers), each exactly once.
    /// </summary>
    ref struct HeaderParser(string text, string path)
    {
        int _at;

        public (string Descr, bool FortranOrder, long[] Shape) ParseDict()
        {
            string? descr = null;
            bool? fortran = null;
            long[]? shape = null;
            Expect('{');
            while (true)
            {
                SkipSpace();
                if (Peek() == '}') { _at++; break; }
                string key = ParseString();
                Expect(':');
                switch (key)
                {
                    case "descr" when descr is null:
                        SkipSpace();
                        if (Peek() != '\'' && Peek() != '"')
                            throw Fail("'descr' must be a string; structured dtypes are not supported");
                        descr = ParseString();
                        break;
                    case "fortran_order" when fortran is null:
                        fortran = ParseBool();
                        break;
                    case "shape" when shape is null:
                        shape = ParseShape();
                        break;
                    case "descr" or "fortran_order" or "shape":
                        throw Fail($"key '{key}' appears twice");
                    default:
                        throw Fail($"unexpected key '{key}' (expected 'descr', 'fortran_order' and 'shape')");
                }
                SkipSpace();
                if (Peek() == ',') { _at++; continue; }
                Expect('}');
                break;
            }
            SkipSpace();
            if (_at != text.Length) throw Fail("unexpected text after the header dict");
            if (descr is null) throw Fail("missing key 'descr'");
            if (fortran is null) throw Fail("missing key 'fortran_order'");
            if (shape is null) throw Fail("missing key 'shape'");
            return (descr, fortran.Value, shape);
        }

        long[] ParseShape()
        {
            Expect('(');
            var dims = new List<long>();
            while (true)
            {
                SkipSpace();
                if (Peek() == ')') { _at++; break; }
                dims.Add(ParseInt());
                SkipSpace();
                if (Peek() == ',') { _at++; continue; }
                Expect(')');
                break;
            }
            // Python needs the trailing comma for a 1-tuple: "(5)" is the integer 5, not a shape.
            if (dims.Count == 1 && text.AsSpan(0, _at).TrimEnd().TrimEnd(')').TrimEnd()[^1] != ',')
                throw Fail("'shape' must be a tuple; a 1-tuple is written (n,)");
            return [.. dims];
        }

        long ParseInt()
        {
            SkipSpace();
            int start = _at;
            while (_at < text.Length && char.IsAsciiDigit(text[_at])) _at++;
            if (_at == start) throw Fail("'shape' must hold non-negative integers");
            if (!long.TryParse(text.AsSpan(start, _at - start), NumberStyles.None, CultureInfo.InvariantCulture, out long value))
                throw Fail("a dimension in 'shape' is too large");
            if (_at < text.Length && text[_at] == 'L') _at++; // Python 2 long literal, as numpy once wrote
            return value;
        }

        bool ParseBool()
        {
            SkipSpace();
            if (text.AsSpan(_at).StartsWith("True")) { _at += 4; return true; }
            if (text.AsSpan(_at).StartsWith("False")) { _at += 5; return false; }
            throw Fail("'fortran_order' must be True or False");
        }

        string ParseString()
        {
            SkipSpace();
            char quote = Peek();
            if (quote != '\'' && quote != '"') throw Fail("expected a quoted string");
            int end = text.IndexOf(quote, _at + 1);
            if (end < 0) throw Fail("unterminated string");
            string value = text[(_at + 1)..end];
            if (value.Contains('\\')) throw Fail("escape sequences are not supported in the header");
            _at = end + 1;
            return value;
        }

        void Expect(char c)
        {
            SkipSpace();
            if (Peek() != c) throw Fail($"expected '{c}'");
            _at++;
        }

        char Peek() => _at < text.Length ? text[_at] : '\0';

        void SkipSpace()
        {
            while (_at < text.Length && text[_at] is ' ' or '\t' or '\n' or '\r') _at++;
        }

        MediaException Fail(string problem)
        {
            string shown = text.TrimEnd();
            if (shown.Length > 120) shown = shown[..120] + "…";
            return new(path, $"malformed .npy header at character {_at}: {problem} (header: {shown})");
        }
    }
}
