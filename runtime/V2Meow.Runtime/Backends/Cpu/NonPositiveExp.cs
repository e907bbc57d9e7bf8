using System.Numerics;

namespace V2Meow.Runtime.Backends.Cpu;

/// <summary>
/// exp(x) for x ≤ 0 in f32, a vector at a time: what ELU needs. <see cref="Vector.Exp(Vector{float})"/> widens
/// to f64 and narrows back, which made ELU a tenth of a paper-size codec decode. Here: x = n·ln 2 + r with
/// |r| ≤ ln 2 / 2 (ln 2 split in two so n·ln 2 is exact), exp(r) by Cephes' degree-7 polynomial for expf, and
/// 2^n put into the exponent bits. Within 2 ulp of the true exp over [−87.3, 0]; below, where exp is under
/// f32's smallest normal, the input is clamped there, which leaves exp(x) − 1 at −1 as it rounds anyway.
/// </summary>
internal static class NonPositiveExp
{
    /// <summary>ln(2^-126): the smallest x whose exp is a normal f32.</summary>
    const float Lowest = -87.33654f;
    const float Log2E = 1.44269504088896341f;
    /// <summary>ln 2 = <see cref="Ln2High"/> + <see cref="Ln2Low"/>; the high part has 9 significant bits, so n · it is exact for |n| ≤ 2^15.</summary>
    const float Ln2High = 0.693359375f, Ln2Low = -2.12194440e-4f;
    const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
        P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /// <summary>exp(x) for every lane of x; lanes above 0 are not supported (callers select them away).</summary>
    public static Vector<float> Exp(Vector<float> x)
    {
        x = Vector.Max(x, new Vector<float>(Lowest));
        var n = Vector.Floor(Vector.FusedMultiplyAdd(x, new Vector<float>(Log2E), new Vector<float>(0.5f)));
        var r = Vector.FusedMultiplyAdd(n, new Vector<float>(-Ln2High), x);
        r = Vector.FusedMultiplyAdd(n, new Vector<float>(-Ln2Low), r);
        var p = Vector.FusedMultiplyAdd(new Vector<float>(P0), r, new Vector<float>(P1));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(P2));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(P3));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(P4));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(P5));
        var e = Vector.FusedMultiplyAdd(p, r * r, r + Vector<float>.One);
        // n ∈ [−126, 0]: (n + 127) << 23 is 2^n as an f32.
        var scale = Vector.ShiftLeft(Vector.ConvertToInt32(n) + new Vector<int>(127), 23).As<int, float>();
        return e * scale;
    }
}
