using System.Text;
using V2Meow.Loaders.Safetensors;

namespace V2Meow.Tests.Loaders;

/// <summary>Each hostile or broken file raises the one typed error, naming the file and what was wrong.</summary>
public class SafetensorsMalformedTests
{
    /// <summary>An 8-byte length prefix, the header bytes, then <paramref name="dataBytes"/> zero bytes.</summary>
    static byte[] Build(string header, int dataBytes, ulong? lengthOverride = null) =>
        Build(Encoding.UTF8.GetBytes(header), dataBytes, lengthOverride);

    static byte[] Build(byte[] header, int dataBytes, ulong? lengthOverride = null)
    {
        var result = new byte[8 + header.Length + dataBytes];
        BitConverter.GetBytes(lengthOverride ?? (ulong)header.Length).CopyTo(result, 0);
        header.CopyTo(result, 8);
        return result;
    }

    const string OneFloat = """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""";

    public static TheoryData<string, byte[], string> Cases() => new()
    {
        { "zero-byte file", [], "expected at least 8" },
        { "shorter than the prefix", [1, 2, 3], "expected at least 8" },
        { "header length over 100 MB", Build(OneFloat, 4, 200_000_000), "are not a header length" },
        { "header length past end of file", Build(OneFloat, 4, 10_000), "runs past the end of the file" },
        { "truncated data", Build(OneFloat, 2), "run past the data section" },
        { "header not UTF-8", Build([0x7B, 0xFF, 0xFE, 0x7D], 0), "not valid UTF-8" },
        { "header not JSON", Build("{\"a\": [", 0), "not valid JSON" },
        { "header a JSON array", Build("[1, 2, 3]", 0), "must be a JSON object" },
        { "metadata not an object", Build("""{"__metadata__":"x"}""", 0), "__metadata__ must be an object" },
        { "metadata value not a string", Build("""{"__metadata__":{"k":3}}""", 0), "__metadata__ entry 'k' must be a string" },
        { "unknown dtype", Build("""{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,4]}}""", 4), "unknown dtype" },
        { "negative dimension", Build("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4), "non-negative integers" },
        { "fractional dimension", Build("""{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", 4), "non-negative integers" },
        { "shape not an array", Build("""{"a":{"dtype":"F32","shape":4,"data_offsets":[0,4]}}""", 4), "shape must be an array" },
        { "three data offsets", Build("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}""", 8), "must have 2 entries" },
        { "offsets out of order", Build("""{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}""", 4), "out of order" },
        { "shape disagrees with byte range", Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", 4), "needs 8 bytes" },
        { "size overflows 64 bits", Build("""{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}""", 4), "overflows" },
        { "overlapping tensors", Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8), "overlap" },
        { "gap between tensors", Build("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12), "belong to no tensor" },
        { "trailing unindexed bytes", Build(OneFloat, 12), "belong to no tensor" },
        { "duplicate tensor name", Build("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8), "more than once" },
        { "entry missing data_offsets", Build("""{"a":{"dtype":"F32","shape":[1]}}""", 4), "must have dtype, shape and data_offsets" },
        { "entry with an unknown field", Build("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}""", 4), "unexpected field 'x'" },
        { "empty tensor name", Build("""{"":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4), "name is empty" },
        { "entry not an object", Build("""{"a":[1,2]}""", 0), "entry must be an object" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MalformedFileRaisesTypedErrorNamingTheFile(string description, byte[] content, string expected)
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, content);

        var error = Assert.Throws<SafetensorsFormatException>(() => { using var _ = SafetensorsFile.Open(path); });
        Assert.True(error.Message.Contains(expected, StringComparison.Ordinal), $"{description}: message was '{error.Message}'");
        Assert.StartsWith(path + ":", error.Message);
    }

    [Fact]
    public void ErrorsNameTheTensor()
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, Build("""{"encoder.layers.0.ffn.up.weight":{"dtype":"F32","shape":[3],"data_offsets":[0,4]}}""", 4));
        var error = Assert.Throws<SafetensorsFormatException>(() => { using var _ = SafetensorsFile.Open(path); });
        Assert.Equal("encoder.layers.0.ffn.up.weight", error.TensorName);
        Assert.Contains("tensor 'encoder.layers.0.ffn.up.weight'", error.Message);
    }

    [Fact]
    public void MissingFileIsAFormatError()
    {
        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open("/nonexistent/x.safetensors"));
        Assert.Contains("does not exist", error.Message);
    }
}
