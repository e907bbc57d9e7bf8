namespace V2Meow.Loaders.Safetensors;

/// <summary>Element types a safetensors file may declare, named as the format spells them.</summary>
public enum DType
{
    /// <summary>64-bit IEEE float.</summary>
    F64,
    /// <summary>32-bit IEEE float, the dtype kernels compute in.</summary>
    F32,
    /// <summary>16-bit IEEE half.</summary>
    F16,
    /// <summary>bfloat16: the top 16 bits of an f32.</summary>
    BF16,
    /// <summary>Signed 64-bit integer.</summary>
    I64,
    /// <summary>Signed 32-bit integer.</summary>
    I32,
    /// <summary>Signed 16-bit integer.</summary>
    I16,
    /// <summary>Signed 8-bit integer.</summary>
    I8,
    /// <summary>Unsigned 64-bit integer.</summary>
    U64,
    /// <summary>Unsigned 32-bit integer.</summary>
    U32,
    /// <summary>Unsigned 16-bit integer.</summary>
    U16,
    /// <summary>Unsigned 8-bit integer.</summary>
    U8,
    /// <summary>One byte per element, 0 or 1; written "BOOL" in the header.</summary>
    Bool,
}

/// <summary>Sizes, header names and classification of <see cref="DType"/>.</summary>
public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int SizeOf(DType dtype) => dtype switch
    {
        DType.F64 or DType.I64 or DType.U64 => 8,
        DType.F32 or DType.I32 or DType.U32 => 4,
        DType.F16 or DType.BF16 or DType.I16 or DType.U16 => 2,
        DType.I8 or DType.U8 or DType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>The name written in the header ("F32", "BF16", "BOOL", …).</summary>
    public static string Name(DType dtype) => dtype == DType.Bool ? "BOOL" : dtype.ToString();

    /// <summary>The dtype a header name stands for ("F32", "BF16", "BOOL", …); false for a name the format does not define.</summary>
    public static bool TryParse(string name, out DType dtype)
    {
        switch (name)
        {
            case "F64": dtype = DType.F64; return true;
            case "F32": dtype = DType.F32; return true;
            case "F16": dtype = DType.F16; return true;
            case "BF16": dtype = DType.BF16; return true;
            case "I64": dtype = DType.I64; return true;
            case "I32": dtype = DType.I32; return true;
            case "I16": dtype = DType.I16; return true;
            case "I8": dtype = DType.I8; return true;
            case "U64": dtype = DType.U64; return true;
            case "U32": dtype = DType.U32; return true;
            case "U16": dtype = DType.U16; return true;
            case "U8": dtype = DType.U8; return true;
            case "BOOL": dtype = DType.Bool; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>F64, F32, F16 or BF16.</summary>
    public static bool IsFloat(DType dtype) => dtype is DType.F64 or DType.F32 or DType.F16 or DType.BF16;

    /// <summary>A signed or unsigned integer dtype; Bool is neither float nor integer.</summary>
    public static bool IsInteger(DType dtype) => !IsFloat(dtype) && dtype != DType.Bool;
}
