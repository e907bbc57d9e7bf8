namespace V2Meow.Loaders.Safetensors;

/// <summary>One header entry: where a tensor's bytes lie inside the data section.</summary>
public sealed record TensorEntry(string Name, DType DType, long[] Shape, long Begin, long End)
{
    /// <summary>End − Begin: the tensor's size in bytes.</summary>
    public long ByteLength => End - Begin;
    /// <summary>Number of elements, the product of the shape.</summary>
    public long ElementCount => ByteLength / DTypes.SizeOf(DType);
    /// <summary>The shape as "[a, b, …]", for messages.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
