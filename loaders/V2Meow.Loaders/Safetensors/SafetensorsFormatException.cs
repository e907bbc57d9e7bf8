namespace V2Meow.Loaders.Safetensors;

/// <summary>
/// A safetensors file that breaks the format or does not hold what the caller expected.
/// The message always names the file and, where one is involved, the tensor.
/// </summary>
public sealed class SafetensorsFormatException : Exception
{
    public string FilePath { get; }
    public string? TensorName { get; }

    public SafetensorsFormatException(string filePath, string? tensorName, string problem, Exception? inner = null)
        : base(Compose(filePath, tensorName, problem), inner)
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    static string Compose(string filePath, string? tensorName, string problem) =>
        tensorName is null ? $"{filePath}: {problem}" : $"{filePath}: tensor '{tensorName}': {problem}";
}
