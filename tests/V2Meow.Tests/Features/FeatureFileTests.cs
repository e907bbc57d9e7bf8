using System.Runtime.InteropServices;
using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Features;
using V2Meow.Loaders.Safetensors;
using V2Meow.Loaders.Video;

namespace V2Meow.Tests.Features;

public class FeatureFileTests
{
    static readonly StreamConfig Clip = new("clip", "dense", 16, 0, 0);
    static readonly StreamConfig Vq = new("vq", "tokens", 0, 100, 3);

    static float[] Ramp(int count) => Enumerable.Range(0, count).Select(i => i * 0.25f - 3).ToArray();

    static string WriteNpy(TempDirectory dir, string name, NpyDType dtype, long[] shape, ReadOnlySpan<byte> data)
    {
        string path = dir.File(name);
        NpyFile.Write(path, dtype, shape, data);
        return path;
    }

    static string WriteNpy(TempDirectory dir, string name, long[] shape, float[] values) =>
        WriteNpy(dir, name, NpyDType.Float32, shape, MemoryMarshal.AsBytes(values.AsSpan()));

    [Fact]
    public void DenseNpyLoadsAsFramesByDim()
    {
        using var dir = new TempDirectory();
        float[] values = Ramp(5 * 16);
        var features = FeatureFile.Load(WriteNpy(dir, "clip.npy", [5, 16], values), Clip);
        Assert.Equal(5, features.Frames);
        Assert.Equal(5, features.Dense!.GetLength(0));
        Assert.Equal(16, features.Dense.GetLength(1));
        Assert.Equal(values, features.DenseValues.ToArray());
        Assert.Equal(values[32..48], features.Row(2).ToArray());
        Assert.Null(features.Tokens);
    }

    [Fact]
    public void DenseNpyInHalfAndDoublePrecisionWidens()
    {
        using var dir = new TempDirectory();
        float[] values = Ramp(2 * 16);
        var halves = values.Select(v => (Half)v).ToArray();
        var doubles = values.Select(v => (double)v).ToArray();
        var f16 = FeatureFile.Load(WriteNpy(dir, "h.npy", NpyDType.Float16, [2, 16], MemoryMarshal.AsBytes(halves.AsSpan())), Clip);
        var f64 = FeatureFile.Load(WriteNpy(dir, "d.npy", NpyDType.Float64, [2, 16], MemoryMarshal.AsBytes(doubles.AsSpan())), Clip);
        Assert.Equal(values, f16.DenseValues.ToArray()); // multiples of 0.25 in ±8 are exact in f16
        Assert.Equal(values, f64.DenseValues.ToArray());
    }

    [Fact]
    public void OneDimensionalDenseIsASingleFrame()
    {
        using var dir = new TempDirectory();
        var features = FeatureFile.Load(WriteNpy(dir, "one.npy", [16], Ramp(16)), Clip);
        Assert.Equal(1, features.Frames);
    }

    [Fact]
    public void SafetensorsWithOneTensorOrOneNamedAfterTheStream()
    {
        using var dir = new TempDirectory();
        float[] values = Ramp(3 * 16);
        string single = dir.File("single.safetensors");
        new SafetensorsWriter().AddFloat32("features", [3, 16], values).Save(single);
        Assert.Equal(values, FeatureFile.Load(single, Clip).DenseValues.ToArray());

        string named = dir.File("named.safetensors");
        new SafetensorsWriter().AddFloat32("i3d", [3, 8], Ramp(24)).AddFloat32("clip", [3, 16], values).Save(named);
        Assert.Equal(values, FeatureFile.Load(named, Clip).DenseValues.ToArray());

        string ambiguous = dir.File("ambiguous.safetensors");
        new SafetensorsWriter().AddFloat32("a", [3, 16], values).AddFloat32("b", [3, 16], values).Save(ambiguous);
        var e = Assert.Throws<MediaException>(() => FeatureFile.Load(ambiguous, Clip));
        Assert.Equal($"{ambiguous}: holds 2 tensors (a, b) and none is named 'clip'; keep one tensor or name it after the stream", e.Message);
    }

    [Fact]
    public void DimensionMismatchNamesFileStreamExpectedAndFound()
    {
        using var dir = new TempDirectory();
        string path = WriteNpy(dir, "clip.npy", [4, 12], Ramp(48));
        var e = Assert.Throws<MediaException>(() => FeatureFile.Load(path, Clip));
        Assert.Equal($"{path}: stream 'clip': expected 16 features per frame, found 12 (shape [4, 12])", e.Message);

        string safetensors = dir.File("clip.safetensors");
        new SafetensorsWriter().AddFloat32("clip", [4, 12], Ramp(48)).Save(safetensors);
        e = Assert.Throws<MediaException>(() => FeatureFile.Load(safetensors, Clip));
        Assert.Equal($"{safetensors}: stream 'clip': expected 16 features per frame, found 12 (shape [4, 12])", e.Message);
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "+Inf")]
    [InlineData(float.NegativeInfinity, "-Inf")]
    public void NonFiniteValuesAreRejectedNamingTheFirstBadRow(float bad, string shown)
    {
        using var dir = new TempDirectory();
        float[] values = Ramp(6 * 16);
        values[3 * 16 + 5] = bad;
        values[4 * 16 + 1] = bad; // a later one is not the one reported
        string path = WriteNpy(dir, "clip.npy", [6, 16], values);
        var e = Assert.Throws<MediaException>(() => FeatureFile.Load(path, Clip));
        Assert.Equal($"{path}: stream 'clip': row 3 holds {shown} at column 5; features must be finite", e.Message);
    }

    [Fact]
    public void DenseShapeAndTypeErrors()
    {
        using var dir = new TempDirectory();
        string wrong1D = WriteNpy(dir, "a.npy", [20], Ramp(20));
        Assert.Equal($"{wrong1D}: stream 'clip': expected shape [T, 16], found [20]",
            Assert.Throws<MediaException>(() => FeatureFile.Load(wrong1D, Clip)).Message);
        string empty = WriteNpy(dir, "b.npy", [0, 16], []);
        Assert.Equal($"{empty}: stream 'clip': holds no frames (shape [0, 16])",
            Assert.Throws<MediaException>(() => FeatureFile.Load(empty, Clip)).Message);
        long[] ints = new long[32];
        string integers = WriteNpy(dir, "c.npy", NpyDType.Int64, [2, 16], MemoryMarshal.AsBytes(ints.AsSpan()));
        Assert.Equal($"{integers}: stream 'clip': expected floating-point features, found '<i8'",
            Assert.Throws<MediaException>(() => FeatureFile.Load(integers, Clip)).Message);
        string text = dir.File("clip.csv");
        File.WriteAllText(text, "1,2,3");
        Assert.Equal($"{text}: unknown feature file type '.csv'; use .npy or .safetensors",
            Assert.Throws<MediaException>(() => FeatureFile.Load(text, Clip)).Message);
        string broken = dir.File("broken.safetensors");
        File.WriteAllBytes(broken, [1, 2, 3]);
        Assert.StartsWith($"{broken}: not a valid safetensors file: file is 3 bytes",
            Assert.Throws<MediaException>(() => FeatureFile.Load(broken, Clip)).Message);
    }

    [Fact]
    public void TokenIdsLoadFromTwoAndOneDimensionalArrays()
    {
        using var dir = new TempDirectory();
        long[] ids = [0, 1, 2, 99, 50, 7];
        var twoD = FeatureFile.Load(WriteNpy(dir, "a.npy", NpyDType.Int64, [2, 3], MemoryMarshal.AsBytes(ids.AsSpan())), Vq);
        Assert.Equal(2, twoD.Frames);
        Assert.Equal([0, 1, 2, 99, 50, 7], twoD.Tokens!);
        Assert.Null(twoD.Dense);

        int[] narrow = [5, 6, 7];
        var oneD = FeatureFile.Load(WriteNpy(dir, "b.npy", NpyDType.Int32, [3], MemoryMarshal.AsBytes(narrow.AsSpan())), Vq);
        Assert.Equal(1, oneD.Frames);

        string safetensors = dir.File("vq.safetensors");
        new SafetensorsWriter().Add<long>("vq", DType.I64, [2, 3], ids).Save(safetensors);
        Assert.Equal([0, 1, 2, 99, 50, 7], FeatureFile.Load(safetensors, Vq).Tokens!);
    }

    [Fact]
    public void TokenErrorsNameTheProblem()
    {
        using var dir = new TempDirectory();
        long[] outOfRange = [0, 1, 2, 3, 100, 5];
        string high = WriteNpy(dir, "high.npy", NpyDType.Int64, [2, 3], MemoryMarshal.AsBytes(outOfRange.AsSpan()));
        Assert.Equal($"{high}: stream 'vq': token id 100 at frame 1 (position 4) is outside [0, 100)",
            Assert.Throws<MediaException>(() => FeatureFile.Load(high, Vq)).Message);

        long[] negative = [0, -1, 2];
        string low = WriteNpy(dir, "low.npy", NpyDType.Int64, [1, 3], MemoryMarshal.AsBytes(negative.AsSpan()));
        Assert.Equal($"{low}: stream 'vq': token id -1 at frame 0 (position 1) is outside [0, 100)",
            Assert.Throws<MediaException>(() => FeatureFile.Load(low, Vq)).Message);

        long[] four = [1, 2, 3, 4];
        string perFrame = WriteNpy(dir, "wide.npy", NpyDType.Int64, [1, 4], MemoryMarshal.AsBytes(four.AsSpan()));
        Assert.Equal($"{perFrame}: stream 'vq': expected 3 token(s) per frame, found 4 (shape [1, 4])",
            Assert.Throws<MediaException>(() => FeatureFile.Load(perFrame, Vq)).Message);
        string ragged = WriteNpy(dir, "ragged.npy", NpyDType.Int64, [4], MemoryMarshal.AsBytes(four.AsSpan()));
        Assert.Equal($"{ragged}: stream 'vq': 4 ids are not whole frames of 3 tokens",
            Assert.Throws<MediaException>(() => FeatureFile.Load(ragged, Vq)).Message);

        string floats = WriteNpy(dir, "floats.npy", [1, 3], [1, 2, 3]);
        Assert.Equal($"{floats}: stream 'vq': expected integer token ids, found '<f4'",
            Assert.Throws<MediaException>(() => FeatureFile.Load(floats, Vq)).Message);
    }

    [Fact]
    public void StyleEmbeddingIsExactlyStyleDimFiniteFloats()
    {
        using var dir = new TempDirectory();
        float[] style = Ramp(8);
        Assert.Equal(style, FeatureFile.LoadStyle(WriteNpy(dir, "a.npy", [8], style), 8));
        Assert.Equal(style, FeatureFile.LoadStyle(WriteNpy(dir, "b.npy", [1, 8], style), 8));
        string safetensors = dir.File("style.safetensors");
        new SafetensorsWriter().AddFloat32("style", [8], style).AddFloat32("other", [2], [1, 2]).Save(safetensors);
        Assert.Equal(style, FeatureFile.LoadStyle(safetensors, 8));

        string wrong = WriteNpy(dir, "c.npy", [6], Ramp(6));
        Assert.Equal($"{wrong}: style embedding: expected 8 floats (shape [8] or [1, 8]), found shape [6]",
            Assert.Throws<MediaException>(() => FeatureFile.LoadStyle(wrong, 8)).Message);
        float[] withNaN = Ramp(8);
        withNaN[6] = float.NaN;
        string nan = WriteNpy(dir, "d.npy", [8], withNaN);
        Assert.Equal($"{nan}: style embedding: value 6 is NaN; it must be finite",
            Assert.Throws<MediaException>(() => FeatureFile.LoadStyle(nan, 8)).Message);
        Assert.Equal($"{wrong}: the model takes no style embedding (style_dim is 0)",
            Assert.Throws<MediaException>(() => FeatureFile.LoadStyle(wrong, 0)).Message);
    }
}
