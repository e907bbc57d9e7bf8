using V2Meow.Loaders.Safetensors;

namespace V2Meow.Runtime.Verification;

/// <summary>
/// When a computed float tensor passes verification (SPEC §10). Every golden carries, beside each computed
/// float32 tensor, a float64 evaluation of the same graph on the same weights and inputs. The runtime is judged
/// by its error against float64, measured the same way as PyTorch-float32's own error against float64
/// (<see cref="Float64Check.Error"/>), and passes when
/// <code>
///   runtime error ≤ max(Factor · PyTorch error, Floor), and ≤ Ceiling wherever PyTorch error &lt; Ceiling
/// </code>
/// Why relative to PyTorch: two float32 results of one graph differ by the graph's conditioning times the
/// rounding, and the conditioning varies over orders of magnitude (the codec's waveform sums large block
/// outputs that nearly cancel: PyTorch-f32 is 1.6e-3 off float64 there on the default config, while the
/// transformer tensors sit near 3e-7). A fixed bound on float32-vs-float32 is either too loose for the
/// transformer or, as the waveform showed, too tight for the codec; PyTorch's own error is a measurement of the
/// conditioning at that very tensor, for that seed.
/// </summary>
public static class GoldenTolerance
{
    /// <summary>
    /// A backend may be this many times further from float64 than PyTorch-f32 is. A correct float32
    /// implementation rounds as often as PyTorch but in another order (SIMD lanes, tiles, fused multiply-adds,
    /// its own exp, erf and sin), so its error is another draw of the same rounding noise, and the ratio of
    /// two draws spreads around 1. Over fresh seeds of every example config (weights-spec/reference/
    /// verify_seeds.log: both backends on tiny, odd, enc_dec, default; the CPU backend on small and paper)
    /// the transformer's ratios stay under 2.1 and the codec's under 3.1; the widest spread is on the
    /// least-conditioned tensor, the waveform, whose error is the maximum over a few nearly cancelling
    /// samples (odd: 0.3 to 3.1 across seeds). A wrong element, a dropped term or a float16 intermediate
    /// (2^-11 against a few 1e-7) costs 10× to 1000× and more. 4× sits above the spread of the noise and
    /// far below that.
    /// </summary>
    public const double Factor = 4;

    /// <summary>
    /// Where PyTorch-f32 is within 1e-4 of float64, so must the backend be: the factor alone would admit a
    /// few 1e-4 next to a PyTorch error just under it, and 1e-4 of the tensor's scale is the bound the goldens
    /// have always stated for float32 summation order.
    /// </summary>
    public const double Ceiling = 1e-4;

    /// <summary>
    /// 16 unit roundoffs of float32 (16 · 2^-24 ≈ 9.5e-7 of the tensor's scale). Storing a result in float32
    /// alone costs up to one unit roundoff, and a layer adds a handful more; below this both results are at
    /// float32's own resolution and a ratio between them measures luck, not accuracy (PyTorch's embeddings
    /// are exact gathers, error 0, which the factor alone would demand of every backend).
    /// </summary>
    public const double Floor = 16.0 / (1 << 24);

    /// <summary>The largest error against float64 a backend may have where PyTorch-f32's own is <paramref name="referenceError"/>.</summary>
    public static double Limit(double referenceError)
    {
        if (!double.IsFinite(referenceError)) return 0; // a golden holding NaN lets nothing pass
        double limit = Math.Max(Factor * referenceError, Floor);
        return referenceError < Ceiling ? Math.Min(limit, Ceiling) : limit;
    }

    /// <summary>
    /// Bounds for comparing two float32 results of the runtime directly, where no float64 evaluation is at
    /// hand (a chunked decode against a whole one, one backend against the other): 1e-4 of the tensor's scale
    /// for f32 weights, looser for f16 (1e-3) and bf16 (1e-2, one rounding step of each format) so that a
    /// device accumulating in the weight format still passes. Ill-conditioned tensors need not meet them:
    /// <c>v2meow verify</c> judges by <see cref="Limit"/> against float64 instead. Carried as
    /// <see cref="TensorComparison.Tolerance"/> for what a verifier compares before that judgement.
    /// </summary>
    public const double Float32 = 1e-4;
    /// <summary>f16 bundles: one f16 rounding step.</summary>
    public const double Float16 = 1e-3;
    /// <summary>bf16 bundles: one bf16 rounding step.</summary>
    public const double BFloat16 = 1e-2;

    /// <summary>The tolerance for a bundle whose weights are <paramref name="weights"/>; f32 for any other dtype.</summary>
    public static double For(DType weights) => weights switch
    {
        DType.F16 => Float16,
        DType.BF16 => BFloat16,
        _ => Float32,
    };
}
