using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Verification;

/// <summary>What a component verifier works with: the bundle, the golden file, the backend to run on, the float tolerance.</summary>
public sealed record GoldenContext(Bundle Bundle, SafetensorsFile Golden, IComputeBackend Backend, double Tolerance);

/// <summary>
/// Checks the golden tensors of one component, those named "{Component}.…" (SPEC §10): runs the runtime on
/// the recorded inputs and compares every recorded output. A golden tensor the component cannot account
/// for is a <see cref="SafetensorsFormatException"/> naming it.
/// </summary>
public interface IGoldenComponentVerifier
{
    /// <summary>The name prefix this verifier owns: "stage1", "sampling", "codec", …</summary>
    string Component { get; }

    /// <summary>Runs the component on the golden inputs in <paramref name="context"/> and compares every golden output.</summary>
    IReadOnlyList<TensorComparison> Verify(GoldenContext context);
}
