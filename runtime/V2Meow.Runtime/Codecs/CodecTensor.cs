namespace V2Meow.Runtime.Codecs;

/// <summary>One intermediate or output of a decode, named as in the goldens (SPEC §10), row-major.</summary>
public sealed record CodecTensor(string Name, int[] Shape, float[] Values)
{
    /// <summary>The shape as "[a, b, …]", for messages.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
