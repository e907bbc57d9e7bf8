using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Verification;

/// <summary>Everything one verification found: the comparisons, and the components no verifier covered.</summary>
public sealed record VerificationReport(IReadOnlyList<TensorComparison> Comparisons, IReadOnlyList<string> Unverified, double Tolerance)
{
    /// <summary>Whether every comparison is within its tolerance; unverified components do not fail it.</summary>
    public bool Passes => Comparisons.All(c => c.Passes);

    /// <summary>The comparison furthest past its limit (or closest to it when all pass).</summary>
    public TensorComparison? Worst => Comparisons.OrderByDescending(c => c.Severity).FirstOrDefault();

    /// <summary>What the columns of the per-tensor lines mean and the rule they are judged by (SPEC §10).</summary>
    public static IReadOnlyList<string> Legend =>
    [
        $"runtime, torch f32: each one's error against the golden's float64 evaluation, max|x − f64| / max(max|f64|, {TensorComparison.Floor:0e0}); " +
        "ratio = runtime / torch f32",
        $"pass: runtime ≤ limit = max({GoldenTolerance.Factor:0} × torch f32, {GoldenTolerance.Floor:0.0E+0}), " +
        $"and ≤ {GoldenTolerance.Ceiling:0e0} where torch f32 < {GoldenTolerance.Ceiling:0e0}; integer tensors exact",
    ];

    /// <summary>The closing line: how many passed and the worst ratio, or how many failed and the worst of them.</summary>
    public string Summary
    {
        get
        {
            if (Comparisons.Count == 0) return "nothing verified: the golden holds no tensors this build checks";
            var judged = Comparisons.Where(c => c.Float64 is not null).ToList();
            var worstRatio = judged.Where(c => !double.IsNaN(c.Float64!.Ratio)).OrderByDescending(c => c.Float64!.Ratio).FirstOrDefault();
            string ratio = worstRatio is null ? "" : $"; largest ratio to torch f32 {worstRatio.Float64!.Ratio:0.00} ({worstRatio.Name})";
            if (Passes) return $"ok: {Comparisons.Count} tensors within their limits{ratio}";
            var worst = Worst!;
            string why = worst.Float64 is { } f
                ? $"error {f.RuntimeError:0.00E+0} against float64 > limit {f.Limit:0.0E+0} (torch f32 {f.ReferenceError:0.00E+0})"
                : $"{worst.RelativeError:P1} of entries differ";
            return $"FAIL: {Comparisons.Count(c => !c.Passes)} of {Comparisons.Count} tensors fail; worst {worst.Name}: {why}";
        }
    }
}

/// <summary>
/// Runs every recorded input of a golden file (SPEC §10) through the runtime and compares every recorded
/// tensor. Tensors are grouped by the component their name starts with ("stage1.…", "sampling.…",
/// "codec.…"); each group goes to the verifier registered for it. A group with no verifier is reported as
/// not verified rather than failed, so a build without, say, the codec still checks everything else.
/// Each computed float tensor is then judged against the golden's float64 evaluation of it, float64.{name},
/// by the rule of <see cref="GoldenTolerance"/>; the float64.* tensors are not a component of their own.
/// </summary>
public sealed class GoldenVerifier : IGoldenVerifier
{
    /// <summary>The prefix of each computed float tensor's float64 evaluation: float64.{name} (SPEC §10).</summary>
    public const string Float64Prefix = "float64.";

    readonly Dictionary<string, IGoldenComponentVerifier> _verifiers = new(StringComparer.Ordinal);

    /// <summary>Every verifier of a v2meow/1 golden file: the three stages, sampling, generation, the codec and its encoder.</summary>
    public static GoldenVerifier CreateDefault()
    {
        var verifier = new GoldenVerifier();
        foreach (var stage in StageIds.All) verifier.Register(new StageGoldenVerifier(stage));
        verifier.Register(new SamplingGoldenVerifier());
        verifier.Register(new GenerationGoldenVerifier());
        verifier.Register(new CodecGoldenVerifier());
        verifier.Register(new CodecEncoderGoldenVerifier());
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
        return Run(golden, tolerance, _verifiers.ToDictionary(v => v.Key, v => (Func<IReadOnlyList<TensorComparison>>)(() => v.Value.Verify(context)),
            StringComparer.Ordinal), progress);
    }

    /// <summary>
    /// The verification of any family's golden file: each component of <paramref name="golden"/> (the first
    /// dot-separated part of its tensor names) through its entry of <paramref name="verifiers"/>, each float
    /// result judged against its float64 evaluation, and every float64 tensor of a verified component accounted for.
    /// </summary>
    internal static VerificationReport Run(SafetensorsFile golden, double tolerance,
        IReadOnlyDictionary<string, Func<IReadOnlyList<TensorComparison>>> verifiers, Action<string>? progress)
    {
        var components = golden.Tensors.Where(t => !t.Name.StartsWith(Float64Prefix, StringComparison.Ordinal))
            .Select(t => t.Name.Split('.')[0]).Distinct(StringComparer.Ordinal).OrderBy(c => c, StringComparer.Ordinal).ToList();
        var comparisons = new List<TensorComparison>();
        var unverified = new List<string>();
        var checkedFloat64 = new HashSet<string>(StringComparer.Ordinal);
        foreach (var component in components)
        {
            if (!verifiers.TryGetValue(component, out var verify))
            {
                unverified.Add(component);
                continue;
            }
            var results = verify().Select(r => JudgeAgainstFloat64(golden, r)).ToList();
            foreach (var r in results) progress?.Invoke(r.ToString());
            comparisons.AddRange(results);
            checkedFloat64.UnionWith(results.Where(r => r.IsFloat).Select(r => Float64Prefix + r.Name));
        }
        // Every float64 tensor of a verified component belongs to a tensor that was compared.
        foreach (var entry in golden.Tensors)
            if (entry.Name.StartsWith(Float64Prefix, StringComparison.Ordinal) && !checkedFloat64.Contains(entry.Name) &&
                verifiers.ContainsKey(entry.Name[Float64Prefix.Length..].Split('.')[0]))
                throw new SafetensorsFormatException(golden.Path, entry.Name, "no computed float tensor of the runtime has this name without the prefix");
        return new VerificationReport(comparisons, unverified, tolerance);
    }

    /// <summary>
    /// A float comparison judged against float64.{name}: the runtime's values and the golden's float32 ones
    /// each measured against it (<see cref="Float64Check"/>). Integer comparisons are returned as they are.
    /// </summary>
    static TensorComparison JudgeAgainstFloat64(SafetensorsFile golden, TensorComparison comparison)
    {
        if (comparison.Computed is not { } computed) return comparison;
        string name = Float64Prefix + comparison.Name;
        if (!golden.Contains(name))
            throw new SafetensorsFormatException(golden.Path, name,
                "missing; a golden file carries the float64 evaluation of every computed float tensor (SPEC §10, format v2meow-golden/2): " +
                "regenerate it with weights-spec/reference/golden.py");
        var float64 = golden.Get(name);
        var reference = golden.Get(comparison.Name);
        if (float64.DType != DType.F64 || float64.ElementCount != computed.Length || !float64.Shape.AsSpan().SequenceEqual(reference.Shape))
            throw new SafetensorsFormatException(golden.Path, name,
                $"expected F64 {reference.Entry.ShapeText} like '{comparison.Name}', found {DTypes.Name(float64.DType)} {float64.Entry.ShapeText}");
        return comparison with { Float64 = Float64Check.Judge(computed, reference.ToFloat32(), float64.As<double>()) };
    }
}
