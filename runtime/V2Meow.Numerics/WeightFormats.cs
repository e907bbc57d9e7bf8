using ILGPU;

namespace V2Meow.Numerics;

/// <summary>
/// How a weight buffer stores its elements on the device. f16 and bf16 stay 16-bit in device memory
/// (half the bytes a decode step streams) and are widened to f32 in registers: every kernel computes in f32.
/// </summary>
public enum WeightFormat
{
    /// <summary>32-bit floats, used as stored.</summary>
    Float32 = 0,
    /// <summary>IEEE half, widened exactly to f32 in registers.</summary>
    Float16 = 1,
    /// <summary>bfloat16, widened exactly to f32 in registers (the top half of an f32).</summary>
    BFloat16 = 2,
}

/// <summary>Exact widening of 16-bit weights to f32 with integer operations only, so every backend computes it the same way.</summary>
public static class WeightFormats
{
    /// <summary>The f32 value of a 16-bit weight in <paramref name="format"/> (<see cref="WeightFormat.Float16"/> or <see cref="WeightFormat.BFloat16"/>).</summary>
    public static float Widen(ushort bits, int format) =>
        format == (int)WeightFormat.BFloat16 ? BFloat16ToSingle(bits) : HalfToSingle(bits);

    /// <summary>bf16 is the top half of an f32.</summary>
    public static float BFloat16ToSingle(ushort bits) => Interop.IntAsFloat((uint)bits << 16);

    /// <summary>IEEE binary16 → binary32; every f16 value, subnormals, infinities and NaN included, is exact in f32.</summary>
    public static float HalfToSingle(ushort bits)
    {
        uint sign = (uint)(bits & 0x8000) << 16;
        uint exponent = (uint)(bits >> 10) & 0x1F;
        uint mantissa = (uint)bits & 0x3FF;
        if (exponent == 0)
        {
            // Zero or subnormal: mantissa · 2^-24, exact in f32.
            float magnitude = (int)mantissa * 5.9604644775390625e-8f;
            return sign != 0 ? -magnitude : magnitude;
        }
        uint widened = exponent == 31
            ? sign | 0x7F800000u | (mantissa << 13)
            : sign | ((exponent + 112) << 23) | (mantissa << 13); // rebias 15 → 127
        return Interop.IntAsFloat(widened);
    }
}
