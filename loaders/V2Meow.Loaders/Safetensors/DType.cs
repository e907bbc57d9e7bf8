namespace V2Meow.Loaders.Safetensors;

/// <summary>Element types a safetensors file may declare, named as the format spells them.</summary>
public enum DType
{
    F64, F32, F16, BF16,
    I64, I32, I16, I8,
    U64, U32, U16, U8,
    Bool,
}

public static class DTypes
{
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

    public static bool IsFloat(DType dtype) => dtype is DType.F64 or DType.F32 or DType.F16 or DType.BF16;

    public static bool IsInteger(DType dtype) => !IsFloat(dtype) && dtype != DType.Bool;
}
