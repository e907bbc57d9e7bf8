using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;
using V2Meow.Loaders.Video;

namespace V2Meow.Loaders.Features;

/// <summary>
/// Precomputed per-frame features (CLIP, I3D, VQGAN ids…) for one encoder stream, from .npy or .safetensors,
/// checked against the stream's config (SPEC §3.11) before anything runs.
/// </summary>
/// <remarks>
/// Accepted layouts. Dense stream: <c>[T, dim]</c> floats (f16, bf16, f32 or f64), or <c>[dim]</c> for a
/// single frame. Tokens stream: integer ids, <c>[T, tokens_per_frame]</c> or <c>[T × tokens_per_frame]</c>.
/// A .safetensors file holds one tensor, or several of which one is named after the stream. Rows are
/// frames at <c>rates.video_fps</c>, frame i standing for time (i + 0.5) / fps as in
/// <see cref="VideoFrameReader"/>. Errors are <see cref="MediaException"/>s naming the file and the stream.
/// </remarks>
public static class FeatureFile
{
    /// <summary>Loads and validates the features of <paramref name="stream"/> from <paramref name="path"/>.</summary>
    public static StreamFeatures Load(string path, StreamConfig stream)
    {
        var (shape, isFloat, dtypeName, floats, integers) = ReadTensor(path, stream.Name);
        string where = $"stream '{stream.Name}'";

        if (stream.IsDense)
        {
            if (!isFloat)
                throw new MediaException(path, $"{where}: expected floating-point features, found {dtypeName}");
            long frames, dim;
            if (shape.Length == 2) (frames, dim) = (shape[0], shape[1]);
            else if (shape.Length == 1 && shape[0] == stream.Dim) (frames, dim) = (1, shape[0]);
            else
                throw new MediaException(path, $"{where}: expected shape [T, {stream.Dim}], found {ShapeText(shape)}");
            if (dim != stream.Dim)
                throw new MediaException(path, $"{where}: expected {stream.Dim} features per frame, found {dim} (shape {ShapeText(shape)})");
            if (frames == 0) throw new MediaException(path, $"{where}: holds no frames (shape {ShapeText(shape)})");

            float[] values = floats!;
            for (int i = 0; i < values.Length; i++)
            {
                if (!float.IsFinite(values[i]))
                    throw new MediaException(path,
                        $"{where}: row {i / stream.Dim} holds {Describe(values[i])} at column {i % stream.Dim}; features must be finite");
            }
            var dense = new float[frames, dim];
            Buffer.BlockCopy(values, 0, dense, 0, values.Length * sizeof(float));
            return StreamFeatures.FromDense(stream, dense);
        }

        if (isFloat)
            throw new MediaException(path, $"{where}: expected integer token ids, found {dtypeName}");
        int perFrame = stream.TokensPerFrame;
        if (shape.Length == 2 && shape[1] != perFrame)
            throw new MediaException(path, $"{where}: expected {perFrame} token(s) per frame, found {shape[1]} (shape {ShapeText(shape)})");
        if (shape.Length == 1 && shape[0] % perFrame != 0)
            throw new MediaException(path, $"{where}: {shape[0]} ids are not whole frames of {perFrame} tokens");
        if (shape.Length is not (1 or 2))
            throw new MediaException(path, $"{where}: expected shape [T, {perFrame}] or [T × {perFrame}], found {ShapeText(shape)}");

        long[] raw = integers!;
        if (raw.Length == 0) throw new MediaException(path, $"{where}: holds no frames (shape {ShapeText(shape)})");
        var ids = new int[raw.Length];
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] < 0 || raw[i] >= stream.Vocab)
                throw new MediaException(path,
                    $"{where}: token id {raw[i]} at frame {i / perFrame} (position {i}) is outside [0, {stream.Vocab})");
            ids[i] = (int)raw[i];
        }
        return StreamFeatures.FromTokens(stream, ids);
    }

    /// <summary>
    /// A style embedding (e.g. a MuLan text embedding): exactly <paramref name="styleDim"/> finite floats,
    /// shape <c>[style_dim]</c> or <c>[1, style_dim]</c>, from .npy or .safetensors (one tensor, or one named "style").
    /// </summary>
    public static float[] LoadStyle(string path, int styleDim)
    {
        if (styleDim < 1)
            throw new MediaException(path, "the model takes no style embedding (style_dim is 0)");
        var (shape, isFloat, dtypeName, floats, _) = ReadTensor(path, "style");
        if (!isFloat) throw new MediaException(path, $"style embedding: expected floats, found {dtypeName}");
        bool fits = (shape.Length == 1 && shape[0] == styleDim) || (shape.Length == 2 && shape[0] == 1 && shape[1] == styleDim);
        if (!fits)
            throw new MediaException(path, $"style embedding: expected {styleDim} floats (shape [{styleDim}] or [1, {styleDim}]), found shape {ShapeText(shape)}");
        float[] values = floats!;
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new MediaException(path, $"style embedding: value {i} is {Describe(values[i])}; it must be finite");
        return values;
    }

    /// <summary>The one tensor of a feature file: its shape, whether it is floating point, and its values as f32 or i64.</summary>
    static (long[] Shape, bool IsFloat, string DTypeName, float[]? Floats, long[]? Integers) ReadTensor(string path, string preferredName)
    {
        VideoProbe.CheckReadableFile(path);
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension == ".npy")
        {
            var array = NpyFile.Read(path);
            return (array.Shape, array.IsFloat, $"'{NpyFile.Descr(array.DType)}'",
                array.IsFloat ? array.ToFloat32() : null, array.IsFloat ? null : array.ToInt64());
        }
        if (extension == ".safetensors")
        {
            try
            {
                using var file = SafetensorsFile.Open(path);
                TensorView view;
                if (file.Contains(preferredName)) view = file.Get(preferredName);
                else if (file.Tensors.Count == 1) view = file.Get(file.Tensors[0].Name);
                else
                    throw new MediaException(path, file.Tensors.Count == 0
                        ? "holds no tensors"
                        : $"holds {file.Tensors.Count} tensors ({string.Join(", ", file.Tensors.Select(t => t.Name).Take(8))}) " +
                          $"and none is named '{preferredName}'; keep one tensor or name it after the stream");

                bool isFloat = DTypes.IsFloat(view.DType);
                if (view.DType == DType.Bool)
                    throw new MediaException(path, $"tensor '{view.Name}': BOOL is neither features nor token ids");
                // Copied out here: the view dies with the mapping when this method returns.
                return (view.Shape, isFloat, DTypes.Name(view.DType), isFloat ? view.ToFloat32() : null, isFloat ? null : ToInt64(view));
            }
            catch (SafetensorsFormatException e)
            {
                string problem = e.Message.StartsWith(path + ": ", StringComparison.Ordinal) ? e.Message[(path.Length + 2)..] : e.Message;
                throw new MediaException(path, $"not a valid safetensors file: {problem}", e);
            }
        }
        throw new MediaException(path, $"unknown feature file type '{extension}'; use .npy or .safetensors");
    }

    static long[] ToInt64(TensorView view)
    {
        var bytes = view.Bytes;
        var result = new long[view.ElementCount];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = view.DType switch
            {
                DType.I64 => BitConverter.ToInt64(bytes[(8 * i)..]),
                DType.U64 => (long)Math.Min(BitConverter.ToUInt64(bytes[(8 * i)..]), long.MaxValue),
                DType.I32 => BitConverter.ToInt32(bytes[(4 * i)..]),
                DType.U32 => BitConverter.ToUInt32(bytes[(4 * i)..]),
                DType.I16 => BitConverter.ToInt16(bytes[(2 * i)..]),
                DType.U16 => BitConverter.ToUInt16(bytes[(2 * i)..]),
                DType.I8 => (sbyte)bytes[i],
                DType.U8 => bytes[i],
                _ => throw new InvalidOperationException($"not an integer dtype: {view.DType}"),
            };
        }
        return result;
    }

    static string ShapeText(long[] shape) => "[" + string.Join(", ", shape) + "]";

    static string Describe(float value) => float.IsNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf";
}
