using System.Runtime.InteropServices;
using V2Meow.Loaders.Bundles;

namespace V2Meow.Loaders.Features;

/// <summary>
/// One encoder stream's input for a whole video (SPEC §3.11): <c>Frames</c> rows at <c>rates.video_fps</c>,
/// either dense vectors <c>[Frames, dim]</c> or token ids <c>[Frames × tokens_per_frame]</c>, frame-major.
/// </summary>
public sealed class StreamFeatures
{
    /// <summary>The stream these features feed: its name, kind and sizes.</summary>
    public StreamConfig Stream { get; }

    /// <summary>Video frames covered (T).</summary>
    public int Frames { get; }

    /// <summary>[T, dim] for a dense stream; null for a tokens stream.</summary>
    public float[,]? Dense { get; }

    /// <summary>[T × tokens_per_frame] ids in [0, vocab) for a tokens stream; null for a dense stream.</summary>
    public int[]? Tokens { get; }

    StreamFeatures(StreamConfig stream, int frames, float[,]? dense, int[]? tokens)
    {
        Stream = stream;
        Frames = frames;
        Dense = dense;
        Tokens = tokens;
    }

    /// <summary>Dense features <c>[frames, dim]</c> for <paramref name="stream"/>; the columns must equal its dim (not copied).</summary>
    public static StreamFeatures FromDense(StreamConfig stream, float[,] values)
    {
        if (!stream.IsDense) throw new ArgumentException($"stream '{stream.Name}' is a tokens stream", nameof(stream));
        if (values.GetLength(1) != stream.Dim)
            throw new ArgumentException($"stream '{stream.Name}' has dim {stream.Dim}, values have {values.GetLength(1)} columns", nameof(values));
        return new StreamFeatures(stream, values.GetLength(0), values, null);
    }

    /// <summary>
    /// Token ids for <paramref name="stream"/>, frame-major; the length must be a whole number of frames of tokens_per_frame ids (not
    /// copied).
    /// </summary>
    public static StreamFeatures FromTokens(StreamConfig stream, int[] ids)
    {
        if (stream.IsDense) throw new ArgumentException($"stream '{stream.Name}' is a dense stream", nameof(stream));
        if (ids.Length % stream.TokensPerFrame != 0)
            throw new ArgumentException($"{ids.Length} ids are not whole frames of {stream.TokensPerFrame}", nameof(ids));
        return new StreamFeatures(stream, ids.Length / stream.TokensPerFrame, null, ids);
    }

    /// <summary>The dense values row-major, <c>Frames × dim</c> floats, without a copy.</summary>
    public ReadOnlySpan<float> DenseValues =>
        Dense is null ? throw new InvalidOperationException($"stream '{Stream.Name}' is not dense")
            : Dense.Length == 0 ? [] : MemoryMarshal.CreateReadOnlySpan(ref Dense[0, 0], Dense.Length);

    /// <summary>Row <paramref name="frame"/> of a dense stream.</summary>
    public ReadOnlySpan<float> Row(int frame) => DenseValues.Slice(frame * Stream.Dim, Stream.Dim);
}
