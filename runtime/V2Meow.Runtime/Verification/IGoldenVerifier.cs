using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Verification;

/// <summary>A family's check of its golden files: every recorded input through the runtime, every recorded output compared.</summary>
public interface IGoldenVerifier
{
    /// <summary>The golden components (tensor-name prefixes) this verifier checks.</summary>
    IReadOnlyCollection<string> Components { get; }

    /// <summary>Opens the bundle and the golden file, verifies on <paramref name="backend"/>, and closes them.</summary>
    VerificationReport Verify(string bundleFolder, string goldenPath, IComputeBackend backend, Action<string>? progress = null);
}
