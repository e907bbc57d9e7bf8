using System.Buffers.Binary;
using System.Text;
using V2Meow.Loaders.Features;
using V2Meow.Loaders.Video;

namespace V2Meow.Tests.Features;

public class NpyFileTests
{
    /// <summary>A .npy file: magic, version, header length of the version's width, the header, then <paramref name="data"/>.</summary>
    internal static byte[] Build(string header, byte[] data, int major = 1, int minor = 0, Encoding? encoding = null)
    {
        byte[] headerBytes = (encoding ?? Encoding.ASCII).GetBytes(header);
        int prefix = major == 1 ? 10 : 12;
        var bytes = new byte[prefix + headerBytes.Length + data.Length];
        bytes[0] = 0x93;
        Encoding.ASCII.GetBytes("NUMPY", bytes.AsSpan(1));
        bytes[6] = (byte)major;
        bytes[7] = (byte)minor;
        if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)headerBytes.Length);
        else BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)headerBytes.Length);
        headerBytes.CopyTo(bytes, prefix);
        data.CopyTo(bytes, prefix + headerBytes.Length);
        return bytes;
    }

    static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    [Fact]
    public void WrittenFloatMatrixReadsBackExactly()
    {
        using var dir = new TempDirectory();
        var values = new float[3, 5];
        var random = new Random(7);
        for (int t = 0; t < 3; t++) for (int d = 0; d < 5; d++) values[t, d] = (float)(random.NextDouble() * 2 - 1);
        string path = dir.File("x.npy");
        NpyFile.Write(path, values);

        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(0, (10 + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8))) % 64); // numpy's alignment
        var array = NpyFile.Read(path);
        Assert.Equal(NpyDType.Float32, array.DType);
        Assert.Equal([3L, 5L], array.Shape);
        Assert.Equal(values.Cast<float>().ToArray(), array.ToFloat32());
    }

    [Fact]
    public void EveryAcceptedDTypeConverts()
    {
        double[] expected = [0, 1, -2.5, 1024, -7];
        foreach (var dtype in Enum.GetValues<NpyDType>())
        {
            var data = new byte[expected.Length * NpyFile.ItemSize(dtype)];
            for (int i = 0; i < expected.Length; i++)
            {
                var at = data.AsSpan(i * NpyFile.ItemSize(dtype));
                switch (dtype)
                {
                    case NpyDType.Float16: BinaryPrimitives.WriteHalfLittleEndian(at, (Half)expected[i]); break;
                    case NpyDType.Float32: BinaryPrimitives.WriteSingleLittleEndian(at, (float)expected[i]); break;
                    case NpyDType.Float64: BinaryPrimitives.WriteDoubleLittleEndian(at, expected[i]); break;
                    case NpyDType.Int32: BinaryPrimitives.WriteInt32LittleEndian(at, (int)Math.Floor(expected[i])); break;
                    default: BinaryPrimitives.WriteInt64LittleEndian(at, (long)Math.Floor(expected[i])); break;
                }
            }
            var array = NpyFile.Parse(NpyFile.ToBytes(dtype, [expected.Length], data), "x.npy");
            Assert.Equal(dtype, array.DType);
            Assert.Equal([(long)expected.Length], array.Shape);
            if (array.IsFloat)
                Assert.Equal(expected.Select(v => (float)v).ToArray(), array.ToFloat32());
            else
                Assert.Equal(expected.Select(v => (long)Math.Floor(v)).ToArray(), array.ToInt64());
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void EveryVersionReadsNumpysOwnHeader(int major)
    {
        // Byte for byte what numpy 1.24 writes for np.zeros((2, 3), '<f4') with version=(major, 0), padded to 64.
        string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        int prefix = major == 1 ? 10 : 12;
        string header = dict + new string(' ', 128 - prefix - dict.Length - 1) + "\n";
        var array = NpyFile.Parse(Build(header, Floats(1, 2, 3, 4, 5, 6), major), "x.npy");
        Assert.Equal([2L, 3L], array.Shape);
        Assert.Equal([1f, 2, 3, 4, 5, 6], array.ToFloat32());
    }

    [Fact]
    public void HeaderVariationsThatPythonAccepts()
    {
        // Keys in another order, double quotes, Python 2 longs, no trailing comma, no padding.
        var a = NpyFile.Parse(Build("{\"shape\": (2L, 1L), \"descr\": \"<f4\", \"fortran_order\": False}\n", Floats(1, 2)), "x.npy");
        Assert.Equal([2L, 1L], a.Shape);
        var b = NpyFile.Parse(Build("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4), }\n", []), "x.npy");
        Assert.Equal(0, b.ElementCount);
    }

    const string Good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n";

    public static TheoryData<string, byte[], string> Malformed()
    {
        byte[] two = Floats(1, 2);
        var badMagic = Build(Good, two);
        badMagic[1] = (byte)'X';
        var lengthPastEnd = Build(Good, two);
        BinaryPrimitives.WriteUInt16LittleEndian(lengthPastEnd.AsSpan(8), 60000);
        return new TheoryData<string, byte[], string>
        {
            { "empty", [], "not a .npy file" },
            { "bad magic", badMagic, "not a .npy file" },
            { "version 4.0", Build(Good, two, 4), ".npy version 4.0 is not supported" },
            { "version 1.1", Build(Good, two, 1, 1), ".npy version 1.1 is not supported" },
            { "header length past the end", lengthPastEnd, "runs past the end of the file" },
            { "no newline", Build(Good.TrimEnd('\n') + " ", two), "does not end with a newline" },
            { "not ASCII in 1.0", Build("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } é\n", two, 1, 0, Encoding.UTF8), "not ASCII" },
            { "UTF-8 in 3.0 is decoded", Build("{'descr': '<fé', 'fortran_order': False, 'shape': (2,), }\n", two, 3, 0, Encoding.UTF8), "dtype '<fé' is not supported" },
            { "not UTF-8 in 3.0", Build("{'descr': '<fé', 'fortran_order': False, 'shape': (2,), }\n", two, 3, 0, Encoding.Latin1), "not valid UTF-8" },
            { "not a dict", Build("['<f4', False, (2,)]\n", two), "expected '{'" },
            { "fortran order", Build("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }\n", two), "Fortran-ordered arrays are not supported" },
            { "big-endian", Build("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n", two), "big-endian data ('>f4') is not supported" },
            { "unsigned", Build("{'descr': '<u4', 'fortran_order': False, 'shape': (2,), }\n", two), "dtype '<u4' is not supported" },
            { "structured", Build("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }\n", two), "structured dtypes are not supported" },
            { "0-D", Build("{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n", Floats(1)), "expected a 1-D or 2-D array, found 0-D" },
            { "3-D", Build("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 2), }\n", two), "found 3-D shape [1, 1, 2]" },
            { "shape not a tuple", Build("{'descr': '<f4', 'fortran_order': False, 'shape': (2), }\n", two), "a 1-tuple is written (n,)" },
            { "negative dimension", Build("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }\n", two), "non-negative integers" },
            { "missing key", Build("{'descr': '<f4', 'shape': (2,), }\n", two), "missing key 'fortran_order'" },
            { "unknown key", Build("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}\n", two), "unexpected key 'x'" },
            { "repeated key", Build("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}\n", two), "key 'descr' appears twice" },
            { "bad bool", Build("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }\n", two), "must be True or False" },
            { "text after the dict", Build("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x\n", two), "unexpected text after the header dict" },
            { "truncated data", Build(Good, Floats(1)), "data is truncated: shape [2] of '<f4' needs 8 bytes, the file holds 4" },
            { "trailing bytes", Build(Good, Floats(1, 2, 3)), "4 bytes after the data" },
        };
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedFilesAreRejectedNamingTheFile(string what, byte[] bytes, string problem)
    {
        var e = Assert.Throws<MediaException>(() => NpyFile.Parse(bytes, "features/clip.npy"));
        Assert.StartsWith("features/clip.npy: ", e.Message);
        Assert.True(e.Message.Contains(problem), $"{what}: '{e.Message}' does not mention '{problem}'");
    }

    [Fact]
    public void MissingAndEmptyFilesAreMediaErrors()
    {
        using var dir = new TempDirectory();
        var missing = Assert.Throws<MediaException>(() => NpyFile.Read(dir.File("none.npy")));
        Assert.Equal($"{dir.File("none.npy")}: file not found", missing.Message);
        File.WriteAllBytes(dir.File("empty.npy"), []);
        var empty = Assert.Throws<MediaException>(() => NpyFile.Read(dir.File("empty.npy")));
        Assert.Equal($"{dir.File("empty.npy")}: file is empty (0 bytes)", empty.Message);
    }
}
