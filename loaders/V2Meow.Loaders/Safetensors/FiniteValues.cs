using System.Numerics;
using System.Runtime.InteropServices;

namespace V2Meow.Loaders.Safetensors;

/// <summary>
/// Finds NaN and ±Inf in stored floats without converting them: a value is not finite exactly when all
/// its exponent bits are set (IEEE 754; bfloat16 is float32's upper half), so one vectorised AND and
/// compare per element covers f32, f16 and bf16 at memory speed. Weights are checked once at load, so a
/// NaN weight is named there instead of coming out as silence.
/// </summary>
public static class FiniteValues
{
    /// <summary>Index of the first element of <paramref name="view"/> that is NaN or ±Inf; -1 when all are finite or the dtype is an integer.</summary>
    public static long FirstNonFinite(TensorView view) => FirstNonFinite(view.Bytes, view.DType);

    /// <summary>Index of the first element of <paramref name="bytes"/> (of <paramref name="dtype"/>) that is NaN or ±Inf; -1 when none is.</summary>
    public static long FirstNonFinite(ReadOnlySpan<byte> bytes, DType dtype) => dtype switch
    {
        DType.F32 => First(MemoryMarshal.Cast<byte, uint>(bytes), 0x7F80_0000u),
        DType.F64 => First(MemoryMarshal.Cast<byte, ulong>(bytes), 0x7FF0_0000_0000_0000ul),
        DType.F16 => First(MemoryMarshal.Cast<byte, ushort>(bytes), (ushort)0x7C00),
        DType.BF16 => First(MemoryMarshal.Cast<byte, ushort>(bytes), (ushort)0x7F80),
        _ => -1,
    };

    /// <summary>"NaN", "+Inf" or "-Inf" for the element at <paramref name="index"/>, as an error shows it.</summary>
    public static string Describe(TensorView view, long index)
    {
        float value = view.DType switch
        {
            DType.F32 => MemoryMarshal.Cast<byte, float>(view.Bytes)[(int)index],
            DType.F64 => (float)MemoryMarshal.Cast<byte, double>(view.Bytes)[(int)index],
            DType.F16 => (float)MemoryMarshal.Cast<byte, Half>(view.Bytes)[(int)index],
            DType.BF16 => BitConverter.Int32BitsToSingle(MemoryMarshal.Cast<byte, ushort>(view.Bytes)[(int)index] << 16),
            _ => 0,
        };
        return float.IsNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf";
    }

    static long First<T>(ReadOnlySpan<T> bits, T exponent) where T : unmanaged, IBinaryInteger<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && bits.Length >= Vector<T>.Count)
        {
            var mask = new Vector<T>(exponent);
            var vectors = MemoryMarshal.Cast<T, Vector<T>>(bits);
            for (int v = 0; v < vectors.Length; v++)
            {
                if (Vector.EqualsAny(vectors[v] & mask, mask))
                {
                    i = v * Vector<T>.Count;
                    break;
                }
                i = (v + 1) * Vector<T>.Count;
            }
        }
        for (; i < bits.Length; i++)
            if ((bits[i] & exponent) == exponent) return i;
        return -1;
    }
}
