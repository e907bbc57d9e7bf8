namespace V2Meow.Loaders.Safetensors;

/// <summary>
/// A safetensors file that breaks the format or does not hold what the caller expected.
/// The message always names the file and, where one is involved, the tensor.
/// </summary>
public sealed class SafetensorsFormatException : Exception
{
    /// <summary>The safetensors file at fault.</summary>
    public string FilePath { get; }
    /// <summary>The tensor at fault; null for a problem with the file or its header as a whole.</summary>
    public string? TensorName { get; }

    /// <summary>
    /// A format error; the message becomes "file: tensor 'name': problem" (without the tensor part when <paramref name="tensorName"/> is
    /// null).
    /// </summary>
    public SafetensorsFormatException(string filePath, string? tensorName, string problem, Exception? inner = null)
        : base(Compose(filePath, tensorName, problem), inner)
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    static string Compose(string filePath, string? tensorName, string problem) =>
        tensorName is null ? $"{filePath}: {problem}" : $"{filePath}: tensor '{tensorName}': {problem}";
}
