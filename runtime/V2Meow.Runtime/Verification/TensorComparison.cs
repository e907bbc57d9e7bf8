namespace V2Meow.Runtime.Verification;

/// <summary>
/// How far one computed tensor is from its golden. <see cref="RelativeError"/> is
/// max|a − b| / max(max|b|, 1e-6) over the whole tensor, b the golden float32 tensor: the worst error measured
/// against the tensor's own scale, so an element near zero does not blow it up and an all-zero golden still
/// compares. Integer tensors (token ids, buckets) must match exactly: their tolerance is 0 and their relative
/// error the fraction of entries that differ.
/// <para>
/// A float comparison keeps the values the runtime computed (<see cref="Computed"/>), so that
/// <see cref="GoldenVerifier"/> can judge them against the golden's float64 evaluation; once it has
/// (<see cref="Float64"/>), that judgement alone decides <see cref="Passes"/> (the rule is in
/// <see cref="GoldenTolerance"/>) and <see cref="Tolerance"/> is what a direct float32 comparison would
/// have used.
/// </para>
/// </summary>
public sealed record TensorComparison(string Name, string Shape, double MaxAbsError, double RelativeError, double Tolerance)
{
    /// <summary>The smallest scale the relative error divides by, so all-zero goldens still compare.</summary>
    public const double Floor = 1e-6;

    /// <summary>The runtime's values of a float tensor; null for integer tensors.</summary>
    public float[]? Computed { get; init; }

    /// <summary>The judgement against the golden's float64 evaluation, once <see cref="GoldenVerifier"/> has made it.</summary>
    public Float64Check? Float64 { get; init; }

    /// <summary>True for a float tensor (judged by error), false for an integer one (judged exactly).</summary>
    public bool IsFloat => Computed is not null;

    /// <summary>Within the float64 rule when the golden has a float64 copy, else within <see cref="Tolerance"/>; a NaN never passes.</summary>
    public bool Passes => Float64?.Passes ?? RelativeError <= Tolerance;

    /// <summary>How far toward failing, 1 at the limit: the runtime's error over its limit, or over the float32 tolerance.</summary>
    public double Severity => Float64 is { } f
        ? f.Limit > 0 ? f.RuntimeError / f.Limit : f.RuntimeError > 0 || double.IsNaN(f.RuntimeError) ? double.PositiveInfinity : 0
        : Tolerance > 0 ? RelativeError / Tolerance : RelativeError > 0 ? double.PositiveInfinity : 0;

    /// <summary>Compares float tensors: max absolute error, and relative error against the golden's largest magnitude.</summary>
    public static TensorComparison Floats(string name, string shape, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double tolerance)
    {
        if (actual.Length != expected.Length)
            throw new ArgumentException($"{name}: {actual.Length} values computed, {expected.Length} in the golden");
        double maxAbs = 0, scale = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double difference = Math.Abs((double)actual[i] - expected[i]);
            // A NaN anywhere must fail the comparison, not vanish in Math.Max.
            maxAbs = double.IsNaN(difference) || double.IsNaN(maxAbs) ? double.NaN : Math.Max(maxAbs, difference);
            scale = Math.Max(scale, Math.Abs((double)expected[i]));
        }
        double relative = double.IsNaN(maxAbs) ? double.PositiveInfinity : maxAbs / Math.Max(scale, Floor);
        return new TensorComparison(name, shape, maxAbs, relative, tolerance) { Computed = actual.ToArray() };
    }

    /// <summary>Compares integer tensors exactly: the relative error is the fraction of entries that differ, the tolerance 0.</summary>
    public static TensorComparison Integers(string name, string shape, ReadOnlySpan<int> actual, ReadOnlySpan<int> expected)
    {
        if (actual.Length != expected.Length)
            throw new ArgumentException($"{name}: {actual.Length} values computed, {expected.Length} in the golden");
        long maxAbs = 0;
        int differing = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            long difference = Math.Abs((long)actual[i] - expected[i]);
            if (difference != 0) differing++;
            maxAbs = Math.Max(maxAbs, difference);
        }
        return new TensorComparison(name, shape, maxAbs, actual.Length == 0 ? 0 : (double)differing / actual.Length, 0);
    }

    /// <summary>The column heads of <see cref="ToString"/> for a report of float64 judgements.</summary>
    public static string Header =>
        $"     {"tensor",-34} {"shape",-12} {"runtime",9} {"torch f32",9} {"ratio",7} {"limit",9}";

    /// <summary>
    /// One line: pass or fail, the name and shape, then for a float tensor judged against float64 the
    /// runtime's error and PyTorch-f32's (both against float64), their ratio and the limit; for an integer
    /// tensor "exact" or how many entries differ.
    /// </summary>
    public override string ToString()
    {
        string head = $"{(Passes ? "ok  " : "FAIL")} {Name,-34} {Shape,-12}";
        if (Float64 is { } f)
            return $"{head} {f.RuntimeError,9:0.00E+0} {f.ReferenceError,9:0.00E+0} {Ratio(f),7} {f.Limit,9:0.0E+0}";
        if (!IsFloat)
            return RelativeError == 0 ? $"{head} exact" : $"{head} {RelativeError:P1} of entries differ, by up to {MaxAbsError:0}";
        return $"{head} max abs {MaxAbsError:E2}  rel {RelativeError:E2} against float32  (tolerance {Tolerance:E0})";
    }

    static string Ratio(Float64Check f) => double.IsNaN(f.Ratio) ? "-" : double.IsInfinity(f.Ratio) ? "inf" : f.Ratio.ToString("0.00");
}
