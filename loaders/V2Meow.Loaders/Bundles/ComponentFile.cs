using V2Meow.Loaders.Safetensors;

namespace V2Meow.Loaders.Bundles;

/// <summary>
/// The checks every family's bundle makes of each component file (SPEC §2.3, §5): its metadata names the
/// format and the component, every expected tensor is present with its shape and the bundle's dtype and is
/// finite, and nothing else is there.
/// </summary>
public static class ComponentFile
{
    /// <summary>The safetensors dtype of a config's <c>dtype</c> field.</summary>
    public static DType DTypeOf(string dtype) => dtype switch
    {
        "float16" => DType.F16,
        "bfloat16" => DType.BF16,
        _ => DType.F32,
    };

    /// <summary>Throws <see cref="SafetensorsFormatException"/> naming the file and the tensor at the first problem.</summary>
    public static void Validate(SafetensorsFile file, string format, string component, IReadOnlyDictionary<string, long[]> expected, DType dtype)
    {
        if (!file.Metadata.TryGetValue("format", out var found) || found != format)
            throw new SafetensorsFormatException(file.Path, null,
                $"__metadata__ format: expected '{format}', found '{found ?? "(none)"}'");
        if (!file.Metadata.TryGetValue("component", out var named) || named != component)
            throw new SafetensorsFormatException(file.Path, null,
                $"__metadata__ component: expected '{component}', found '{named ?? "(none)"}'");

        foreach (var (name, shape) in expected)
        {
            var view = file.Get(name, shape, dtype);
            long bad = FiniteValues.FirstNonFinite(view);
            if (bad >= 0)
                throw new SafetensorsFormatException(file.Path, name,
                    $"element {bad} is {FiniteValues.Describe(view, bad)}; weights must be finite");
        }
        foreach (var tensor in file.Tensors)
            if (!expected.ContainsKey(tensor.Name))
                throw new SafetensorsFormatException(file.Path, tensor.Name,
                    $"not part of component '{component}' (misnamed, or from another component)");
    }
}
