namespace V2Meow.Loaders.Safetensors;

/// <summary>One header entry: where a tensor's bytes lie inside the data section.</summary>
public sealed record TensorEntry(string Name, DType DType, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
    public long ElementCount => ByteLength / DTypes.SizeOf(DType);
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
