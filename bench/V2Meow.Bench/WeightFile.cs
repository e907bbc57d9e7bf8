using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Backends;

namespace V2Meow.Bench;

/// <summary>
/// A random weight matrix written to a temporary safetensors file in a bundle dtype, so kernel benchmarks
/// upload it through <see cref="IComputeBackend.UploadWeights(V2Meow.Loaders.Safetensors.TensorView)"/> as the stages do (16-bit stays 16-bit on ILGPU).
/// </summary>
public sealed class WeightFile : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("v2meow-bench-").FullName;
    readonly SafetensorsFile _file;

    public WeightFile(int rows, int columns, string dtype, int seed = 1)
    {
        var random = new Random(seed);
        var values = new float[rows * columns];
        float scale = 1f / MathF.Sqrt(columns);
        for (int i = 0; i < values.Length; i++) values[i] = ((float)random.NextDouble() - 0.5f) * 2 * scale;
        var writer = new SafetensorsWriter();
        long[] shape = [rows, columns];
        switch (dtype)
        {
            case "f32": writer.AddFloat32("w", shape, values); break;
            case "f16": writer.Add("w", DType.F16, shape, (ReadOnlySpan<Half>)values.Select(v => (Half)v).ToArray()); break;
            case "bf16": writer.Add("w", DType.BF16, shape, (ReadOnlySpan<ushort>)values.Select(DTypeConversion.ToBFloat16).ToArray()); break;
            default: throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "f32, f16 or bf16");
        }
        string path = Path.Combine(_folder, "w.safetensors");
        writer.Save(path);
        _file = SafetensorsFile.Open(path);
    }

    public WeightTensor Upload(IComputeBackend backend) => backend.UploadWeights(_file.Get("w"));

    public void Dispose()
    {
        _file.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}

/// <summary>Random inputs for kernel benchmarks: uniform in [−1, 1), never denormal or NaN (either would skew a CPU timing).</summary>
public static class RandomValues
{
    public static float[] Uniform(int count, int seed = 2)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < values.Length; i++) values[i] = (float)random.NextDouble() * 2 - 1;
        return values;
    }
}
