using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Verification;

/// <summary>Everything one verification found: the comparisons, and the components no verifier covered.</summary>
public sealed record VerificationReport(IReadOnlyList<TensorComparison> Comparisons, IReadOnlyList<string> Unverified, double Tolerance)
{
    /// <summary>Whether every comparison is within its tolerance; unverified components do not fail it.</summary>
    public bool Passes => Comparisons.All(c => c.Passes);

    /// <summary>The comparison furthest past its tolerance (or closest to it when all pass).</summary>
    public TensorComparison? Worst => Comparisons
        .OrderByDescending(c => c.Tolerance > 0 ? c.RelativeError / c.Tolerance : c.RelativeError > 0 ? double.PositiveInfinity : 0)
        .FirstOrDefault();
}

/// <summary>
/// Runs every recorded input of a golden file (SPEC §10) through the runtime and compares every recorded
/// tensor. Tensors are grouped by the component their name starts with ("stage1.…", "sampling.…",
/// "codec.…"); each group goes to the verifier registered for it. A group with no verifier is reported as
/// not verified rather than failed, so a build without, say, the codec still checks everything else.
/// </summary>
public sealed class GoldenVerifier
{
    readonly Dictionary<string, IGoldenComponentVerifier> _verifiers = new(StringComparer.Ordinal);

    /// <summary>Every verifier of a v2meow/1 golden file: the three stages, sampling, generation and the codec.</summary>
    public static GoldenVerifier CreateDefault()
    {
        var verifier = new GoldenVerifier();
        foreach (var stage in StageIds.All) verifier.Register(new StageGoldenVerifier(stage));
        verifier.Register(new SamplingGoldenVerifier());
        verifier.Register(new GenerationGoldenVerifier());
        verifier.Register(new CodecGoldenVerifier());
        return verifier;
    }

    /// <summary>Adds a verifier for its component, replacing one registered for the same component.</summary>
    public void Register(IGoldenComponentVerifier verifier) => _verifiers[verifier.Component] = verifier;

    /// <summary>The components a verifier is registered for.</summary>
    public IReadOnlyCollection<string> Components => _verifiers.Keys;

    /// <summary>Opens the bundle and the golden file, verifies, and closes them.</summary>
    public VerificationReport Verify(string bundleFolder, string goldenPath, IComputeBackend backend, Action<string>? progress = null)
    {
        using var bundle = Bundle.Open(bundleFolder);
        using var golden = SafetensorsFile.Open(goldenPath);
        return Verify(bundle, golden, backend, progress);
    }

    /// <summary>
    /// Runs each component of <paramref name="golden"/> through its verifier, passing every comparison line to <paramref name="progress"/>.
    /// </summary>
    public VerificationReport Verify(Bundle bundle, SafetensorsFile golden, IComputeBackend backend, Action<string>? progress = null)
    {
        double tolerance = GoldenTolerance.For(bundle.WeightDType);
        var context = new GoldenContext(bundle, golden, backend, tolerance);
        var components = golden.Tensors.Select(t => t.Name.Split('.')[0]).Distinct(StringComparer.Ordinal).OrderBy(c => c, StringComparer.Ordinal).ToList();
        var comparisons = new List<TensorComparison>();
        var unverified = new List<string>();
        foreach (var component in components)
        {
            if (!_verifiers.TryGetValue(component, out var verifier))
            {
                unverified.Add(component);
                continue;
            }
            var results = verifier.Verify(context);
            foreach (var r in results) progress?.Invoke(r.ToString());
            comparisons.AddRange(results);
        }
        return new VerificationReport(comparisons, unverified, tolerance);
    }
}
