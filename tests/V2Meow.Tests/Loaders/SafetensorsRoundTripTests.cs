using System.Runtime.InteropServices;
using V2Meow.Loaders.Safetensors;

namespace V2Meow.Tests.Loaders;

public class SafetensorsRoundTripTests
{
    public static TheoryData<DType> AllDTypes()
    {
        var data = new TheoryData<DType>();
        foreach (var d in Enum.GetValues<DType>()) data.Add(d);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllDTypes))]
    public void EveryDTypeRoundTripsByteForByte(DType dtype)
    {
        using var dir = new TempDirectory();
        var random = new Random(1234 + (int)dtype);
        long[] shape = [3, 5];
        var bytes = new byte[15 * DTypes.SizeOf(dtype)];
        random.NextBytes(bytes);
        if (dtype == DType.Bool) for (int i = 0; i < bytes.Length; i++) bytes[i] &= 1;

        string path = dir.File("t.safetensors");
        new SafetensorsWriter().AddMetadata("format", "test").Add("x", dtype, shape, bytes).Add("empty", dtype, [0, 4], []).Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal("test", file.Metadata["format"]);
        var view = file.Get("x", shape, dtype);
        Assert.Equal(bytes, view.Bytes.ToArray());
        Assert.Equal(0, file.Get("empty").ElementCount);
    }

    [Fact]
    public void HalfPrecisionWidensExactly()
    {
        using var dir = new TempDirectory();
        float[] values = [0f, 1f, -2.5f, 65504f, 1e-3f, float.PositiveInfinity, -0.333251953125f];
        var halves = values.Select(v => (Half)v).ToArray();
        var bf16 = values.Select(DTypeConversion.ToBFloat16).ToArray();
        string path = dir.File("h.safetensors");
        new SafetensorsWriter()
            .Add<Half>("f16", DType.F16, [values.Length], halves)
            .Add<ushort>("bf16", DType.BF16, [values.Length], bf16)
            .Add<double>("f64", DType.F64, [values.Length], values.Select(v => (double)v).ToArray())
            .Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(halves.Select(h => (float)h).ToArray(), file.Get("f16").ToFloat32());
        // bf16 keeps the top 16 bits of an f32 (rounded to nearest even): widening must restore exactly that.
        var expectedBf16 = bf16.Select(b => BitConverter.Int32BitsToSingle(b << 16)).ToArray();
        Assert.Equal(expectedBf16, file.Get("bf16").ToFloat32());
        Assert.Equal(1f, file.Get("bf16").ToFloat32()[1]);
        Assert.Equal(values, file.Get("f64").ToFloat32());
    }

    [Fact]
    public void BFloat16RoundsToNearestEven()
    {
        // 1 + 2^-8 lies exactly between two bf16 values; ties go to the even mantissa (1.0).
        Assert.Equal(0x3F80, DTypeConversion.ToBFloat16(1f + 1f / 256));
        // 1 + 3·2^-8 ties between 1+2^-7 (odd) and 1+2^-6 (even): goes up.
        Assert.Equal(0x3F82, DTypeConversion.ToBFloat16(1f + 3f / 256));
    }

    [Fact]
    public void IntegerTensorsConvertToInt32AndRejectOverflow()
    {
        using var dir = new TempDirectory();
        string path = dir.File("i.safetensors");
        new SafetensorsWriter()
            .Add<long>("ids", DType.I64, [3], [0L, 17L, 1023L])
            .Add<long>("huge", DType.I64, [1], [1L << 40])
            .Save(path);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal([0, 17, 1023], file.Get("ids").ToInt32());
        var e = Assert.Throws<SafetensorsFormatException>(() => file.Get("huge").ToInt32());
        Assert.Contains("'huge'", e.Message);
    }

    [Fact]
    public void ExpectedShapeAndDTypeAreEnforcedWithNamesInTheMessage()
    {
        using var dir = new TempDirectory();
        string path = dir.File("w.safetensors");
        new SafetensorsWriter().AddFloat32("decoder.head.weight", [2, 3], new float[6]).Save(path);
        using var file = SafetensorsFile.Open(path);

        var shape = Assert.Throws<SafetensorsFormatException>(() => file.Get("decoder.head.weight", [3, 2], DType.F32));
        Assert.Equal($"{path}: tensor 'decoder.head.weight': expected shape [3, 2], found [2, 3]", shape.Message);
        var dtype = Assert.Throws<SafetensorsFormatException>(() => file.Get("decoder.head.weight", [2, 3], DType.F16, DType.BF16));
        Assert.Contains("expected dtype F16 or BF16, found F32", dtype.Message);
        var missing = Assert.Throws<SafetensorsFormatException>(() => file.Get("decoder.embed.weight"));
        Assert.Contains("'decoder.embed.weight'", missing.Message);
        Assert.Contains("missing", missing.Message);
    }

    [Fact]
    public void HeaderIsPaddedToEightBytes()
    {
        var bytes = new SafetensorsWriter().AddFloat32("a", [1], [1f]).ToBytes();
        ulong headerLength = MemoryMarshal.Read<ulong>(bytes);
        Assert.Equal(0UL, headerLength % 8);
    }
}
