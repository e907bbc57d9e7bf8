namespace V2Meow.Numerics;

/// <summary>
/// The exact-erf GELU, 0.5 · x · (1 + erf(x / √2)) (SPEC §6.3; not the tanh approximation), with erf as a
/// rational function in f32: no exp, so the same arithmetic vectorises on the CPU backend and runs in every
/// kernel language. The coefficients are Eigen's single-precision erf (also XLA's): |error| ≤ 4e-7 against
/// the true erf, which moves a GELU output by at most 2e-7 · |x|.
/// </summary>
public static class GeluMath
{
    // Outside ±4 the f32 erf is ±1 to the last bit.
    /// <summary>|x| past which erf is taken at ±4, where the f32 erf is already ±1 to the last bit.</summary>
    public const float Clamp = 4f;
    /// <summary>Odd numerator coefficients of Eigen's f32 erf: p(x) = x · Σ Alpha(2i+1) · x^(2i).</summary>
    public const float Alpha1 = -1.60960333262415e-02f, Alpha3 = -2.95459980854025e-03f, Alpha5 = -7.34990630326855e-04f,
        Alpha7 = -5.69250639462346e-05f, Alpha9 = -2.10102402082508e-06f, Alpha11 = 2.77068142495902e-08f,
        Alpha13 = -2.72614225801306e-10f;
    /// <summary>Even denominator coefficients of Eigen's f32 erf: q(x) = Σ Beta(2i) · x^(2i).</summary>
    public const float Beta0 = -1.42647390514189e-02f, Beta2 = -7.37332916720468e-03f, Beta4 = -1.68282697438203e-03f,
        Beta6 = -2.13374055278905e-04f, Beta8 = -1.45660718464996e-05f;
    /// <summary>1/√2 in f32, the argument scale of the exact GELU.</summary>
    public const float InverseSqrt2 = 0.70710678118654752f;

    /// <summary>erf(value) as p/q in f32, |error| ≤ 4e-7; inputs are clamped to ±<see cref="Clamp"/>.</summary>
    public static float Erf(float value)
    {
        float x = value < -Clamp ? -Clamp : value > Clamp ? Clamp : value;
        float x2 = x * x;
        float p = x2 * Alpha13 + Alpha11;
        p = x2 * p + Alpha9;
        p = x2 * p + Alpha7;
        p = x2 * p + Alpha5;
        p = x2 * p + Alpha3;
        p = x2 * p + Alpha1;
        p *= x;
        float q = x2 * Beta8 + Beta6;
        q = x2 * q + Beta4;
        q = x2 * q + Beta2;
        q = x2 * q + Beta0;
        return p / q;
    }

    /// <summary>The exact-erf GELU of <paramref name="x"/> (SPEC §6.3).</summary>
    public static float Gelu(float x) => 0.5f * x * (1f + Erf(x * InverseSqrt2));
}
