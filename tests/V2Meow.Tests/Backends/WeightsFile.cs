using V2Meow.Loaders.Safetensors;

namespace V2Meow.Tests.Backends;

/// <summary>A one-tensor safetensors file in a temp folder, so tests can upload weights the way stages do.</summary>
internal sealed class WeightsFile : IDisposable
{
    readonly TempDirectory _folder = new();
    public SafetensorsFile File { get; }
    public TensorView View => File.Get("w");

    public WeightsFile(float[] values, int rows, int columns, DType dtype)
    {
        var writer = new SafetensorsWriter();
        long[] shape = [rows, columns];
        switch (dtype)
        {
            case DType.F32: writer.AddFloat32("w", shape, values); break;
            case DType.F16: writer.Add("w", DType.F16, shape, (ReadOnlySpan<Half>)values.Select(v => (Half)v).ToArray()); break;
            case DType.BF16: writer.Add("w", DType.BF16, shape, (ReadOnlySpan<ushort>)values.Select(DTypeConversion.ToBFloat16).ToArray()); break;
            default: throw new ArgumentOutOfRangeException(nameof(dtype));
        }
        string path = _folder.File("w.safetensors");
        writer.Save(path);
        File = SafetensorsFile.Open(path);
    }

    /// <summary>The values as the file stores them, widened back to f32: what every backend must compute with.</summary>
    public float[] Stored => View.ToFloat32();

    public void Dispose()
    {
        File.Dispose();
        _folder.Dispose();
    }
}
