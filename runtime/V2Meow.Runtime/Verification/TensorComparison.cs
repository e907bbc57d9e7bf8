namespace V2Meow.Runtime.Verification;

/// <summary>
/// How far one computed tensor is from its golden. <see cref="RelativeError"/> is
/// max|a − b| / max(max|b|, 1e-6) over the whole tensor, b the golden: the worst error measured against the
/// tensor's own scale, so an element near zero does not blow it up and an all-zero golden still compares.
/// Integer tensors (token ids, buckets) must match exactly: their tolerance is 0 and their relative error
/// the fraction of entries that differ.
/// </summary>
public sealed record TensorComparison(string Name, string Shape, double MaxAbsError, double RelativeError, double Tolerance)
{
    /// <summary>The smallest scale the relative error divides by, so all-zero goldens still compare.</summary>
    public const double Floor = 1e-6;

    /// <summary>RelativeError ≤ Tolerance; a NaN never passes.</summary>
    public bool Passes => RelativeError <= Tolerance;

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
        return new TensorComparison(name, shape, maxAbs, relative, tolerance);
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

    /// <summary>One report line: ok or FAIL, name, shape, errors and tolerance.</summary>
    public override string ToString() =>
        $"{(Passes ? "ok  " : "FAIL")} {Name,-34} {Shape,-12} max abs {MaxAbsError:E2}  rel {RelativeError:E2}  (tolerance {Tolerance:E0})";
}
