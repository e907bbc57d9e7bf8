namespace V2Meow.Loaders.Bundles;

/// <summary>A bundle folder or its config.json that does not match SPEC.md.</summary>
public sealed class BundleException(string message, Exception? inner = null) : Exception(message, inner);
