using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace V2Meow.Loaders.Safetensors;

/// <summary>Element conversions between the stored dtypes and the f32 that kernels compute in.</summary>
public static class DTypeConversion
{
    /// <summary>
    /// Widens (or, for F64 and 64-bit integers, rounds) every element of <paramref name="source"/> to f32; BF16 and F16 widen exactly.
    /// </summary>
    public static void ToFloat32(ReadOnlySpan<byte> source, DType dtype, Span<float> destination)
    {
        switch (dtype)
        {
            case DType.F32: MemoryMarshal.Cast<byte, float>(source).CopyTo(destination); break;
            case DType.F16: TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source), destination); break;
            case DType.BF16:
                var bf = MemoryMarshal.Cast<byte, ushort>(source);
                // bf16 is the top half of an f32: widening is exact.
                for (int i = 0; i < bf.Length; i++) destination[i] = BitConverter.Int32BitsToSingle(bf[i] << 16);
                break;
            case DType.F64: Convert(MemoryMarshal.Cast<byte, double>(source), destination, v => (float)v); break;
            case DType.I64: Convert(MemoryMarshal.Cast<byte, long>(source), destination, v => v); break;
            case DType.I32: Convert(MemoryMarshal.Cast<byte, int>(source), destination, v => v); break;
            case DType.I16: Convert(MemoryMarshal.Cast<byte, short>(source), destination, v => v); break;
            case DType.I8: Convert(MemoryMarshal.Cast<byte, sbyte>(source), destination, v => v); break;
            case DType.U64: Convert(MemoryMarshal.Cast<byte, ulong>(source), destination, v => v); break;
            case DType.U32: Convert(MemoryMarshal.Cast<byte, uint>(source), destination, v => v); break;
            case DType.U16: Convert(MemoryMarshal.Cast<byte, ushort>(source), destination, v => v); break;
            case DType.U8 or DType.Bool: Convert(source, destination, v => v); break;
            default: throw new ArgumentOutOfRangeException(nameof(dtype));
        }
    }

    /// <summary>
    /// Integer elements as int32; false with the first value outside int32 in <paramref name="bad"/>. Float dtypes throw.
    /// </summary>
    public static bool TryToInt32(ReadOnlySpan<byte> source, DType dtype, Span<int> destination, out long bad)
    {
        bad = 0;
        switch (dtype)
        {
            case DType.I32: MemoryMarshal.Cast<byte, int>(source).CopyTo(destination); return true;
            case DType.I64: return Narrow(MemoryMarshal.Cast<byte, long>(source), destination, out bad);
            case DType.U32: return Narrow(MemoryMarshal.Cast<byte, uint>(source), destination, out bad);
            case DType.U64:
                var u64 = MemoryMarshal.Cast<byte, ulong>(source);
                for (int i = 0; i < u64.Length; i++)
                {
                    if (u64[i] > int.MaxValue) { bad = unchecked((long)u64[i]); return false; }
                    destination[i] = (int)u64[i];
                }
                return true;
            case DType.I16: Convert(MemoryMarshal.Cast<byte, short>(source), destination, v => v); return true;
            case DType.U16: Convert(MemoryMarshal.Cast<byte, ushort>(source), destination, v => v); return true;
            case DType.I8: Convert(MemoryMarshal.Cast<byte, sbyte>(source), destination, v => v); return true;
            case DType.U8: Convert(source, destination, v => v); return true;
            default: throw new ArgumentOutOfRangeException(nameof(dtype));
        }
    }

    /// <summary>f32 → bf16 with round-to-nearest-even, as PyTorch's <c>.to(torch.bfloat16)</c> does.</summary>
    public static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    static bool Narrow<TIn>(ReadOnlySpan<TIn> source, Span<int> destination, out long bad) where TIn : unmanaged, IConvertible
    {
        for (int i = 0; i < source.Length; i++)
        {
            long v = source[i].ToInt64(null);
            if (v is < int.MinValue or > int.MaxValue) { bad = v; return false; }
            destination[i] = (int)v;
        }
        bad = 0;
        return true;
    }

    static void Convert<TIn, TOut>(ReadOnlySpan<TIn> source, Span<TOut> destination, Func<TIn, TOut> convert)
    {
        for (int i = 0; i < source.Length; i++) destination[i] = convert(source[i]);
    }
}
