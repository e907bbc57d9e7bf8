namespace V2Meow.Runtime.Verification;

/// <summary>
/// One computed float tensor judged against the golden's float64 evaluation of it (SPEC §10):
/// <see cref="RuntimeError"/> is the backend's error against float64, <see cref="ReferenceError"/> is
/// PyTorch-float32's (the golden's float32 tensor) against the same float64, and <see cref="Limit"/> is what
/// <see cref="GoldenTolerance.Limit"/> allows given the latter.
/// </summary>
public sealed record Float64Check(double RuntimeError, double ReferenceError, double Limit)
{
    /// <summary>How many times PyTorch-f32's error the runtime's is; NaN when both are 0, +∞ when only PyTorch's is.</summary>
    public double Ratio => RuntimeError == 0 && ReferenceError == 0 ? double.NaN : RuntimeError / ReferenceError;

    /// <summary>NaN anywhere in the runtime's tensor makes its error +∞, which no limit admits.</summary>
    public bool Passes => RuntimeError <= Limit;

    /// <summary>
    /// The runtime's and PyTorch-f32's errors against the float64 evaluation, each max|x − f64| / max(max|f64|, 1e-6),
    /// and the limit <see cref="GoldenTolerance.Limit"/> sets from PyTorch's (SPEC §10.2).
    /// </summary>
    public static Float64Check Judge(ReadOnlySpan<float> runtime, ReadOnlySpan<float> reference, ReadOnlySpan<double> float64)
    {
        double referenceError = Error(reference, float64);
        return new Float64Check(Error(runtime, float64), referenceError, GoldenTolerance.Limit(referenceError));
    }

    /// <summary>
    /// max|x − r| / max(max|r|, 1e-6), r the float64 evaluation: the worst element's error on the scale of
    /// the whole tensor, the measure <see cref="TensorComparison"/> has always used. Chosen over relative L2
    /// (‖x − r‖ / ‖r‖) because the defects the goldens exist to catch are local (a ragged SIMD tail, a
    /// padding boundary, one head or one channel): the maximum shows one wrong element at full size, where
    /// L2 would dilute it by the square root of the tensor's size. L2's virtue, indifference to a few
    /// ill-conditioned elements, is not needed here: the rule compares with PyTorch's error measured the
    /// same way on the same elements, so the conditioning cancels. The floor keeps an all-zero tensor
    /// comparable (values are O(1)). A NaN gives +∞.
    /// </summary>
    public static double Error(ReadOnlySpan<float> values, ReadOnlySpan<double> float64)
    {
        if (values.Length != float64.Length)
            throw new ArgumentException($"{values.Length} values against {float64.Length} float64 values");
        double maxAbs = 0, scale = 0;
        for (int i = 0; i < values.Length; i++)
        {
            double difference = Math.Abs(values[i] - float64[i]);
            if (double.IsNaN(difference)) return double.PositiveInfinity;
            maxAbs = Math.Max(maxAbs, difference);
            scale = Math.Max(scale, Math.Abs(float64[i]));
        }
        return maxAbs / Math.Max(scale, TensorComparison.Floor);
    }
}
