namespace V2Meow.Runtime;

/// <summary>
/// The embedded model used when none is named: <see cref="EmbeddedModels.Default"/>, the V2Meow model trained
/// on a CPU on real instruments and videos made from their music (training/MODEL_CARD.md).
/// </summary>
public static class DefaultModel
{
    /// <summary>What the CLI says when it uses the default model, so nobody mistakes it for a general music model.</summary>
    public static string Label => EmbeddedModels.Default.Label;

    /// <summary>The folder holding the unpacked default bundle; unpacks it on first call.</summary>
    public static string EnsureUnpacked(string? cacheRoot = null) => EmbeddedModels.Default.EnsureUnpacked(cacheRoot);
}
