using V2Meow.Loaders.Bundles.Vmas;
using V2Meow.Loaders.Safetensors;
using V2Meow.Numerics;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Families.Vmas;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Benchmarking.Vmas;

/// <summary>
/// What a vmas/1 bundle holds and reads on a backend, from its tensor lists and the backend's weight format:
/// each component's resident weights, the bytes one decode step of the music decoder streams (the bandwidth
/// floor's numerator) and its KV cache pool (f32 keys and values, every layer, blocks of
/// <see cref="PagedKvCache.DefaultBlockSize"/> positions).
/// </summary>
/// <param name="Positions">P = Tw + K − 1: decoder positions of one window.</param>
/// <param name="Codebooks">K: tokens per position.</param>
/// <param name="EncoderWeightBytes">
/// The video encoder as it is kept: matrices at the backend's element size; the patch weights, the split qkv and
/// the position table f32.
/// </param>
/// <param name="DecoderWeightBytes">
/// The music decoder as it is kept: layer matrices at the backend's element size; embeddings, heads and the
/// sinusoidal table f32.
/// </param>
/// <param name="CodecWeightBytes">The codec, every tensor f32.</param>
/// <param name="DecodeWeightBytesPerStep">
/// Weights one step reads once for the whole batch: every layer but the cross-attention K/V projections (applied
/// once per window), the final norm, the K heads, one embedding row per codebook and one position row.
/// </param>
/// <param name="KvBytesPerPosition">Cached self-attention keys and values of one position, every layer.</param>
/// <param name="CrossMemoryBytes">One sequence's projected cross-attention keys and values, every layer.</param>
public sealed record VmasFootprint(
    int Positions,
    int Codebooks,
    long EncoderWeightBytes,
    long DecoderWeightBytes,
    long CodecWeightBytes,
    long DecodeWeightBytesPerStep,
    long KvBytesPerPosition,
    long CrossMemoryBytes)
{
    /// <summary>The pool for <paramref name="sequences"/> sequences of <paramref name="length"/> positions, none shared.</summary>
    public long KvPoolBytes(int sequences, int length) =>
        (long)PagedKvCache.BlocksFor(sequences, length) * PagedKvCache.DefaultBlockSize * KvBytesPerPosition;

    /// <summary>
    /// Bytes one decode step of <paramref name="sequences"/> rows reads (a guided batch of B candidates is 2B
    /// rows: the null twins read the same), averaged over <paramref name="steps"/> steps from an empty cache:
    /// the weights once, then per row its cross-attention memory and its cached keys and values (the mean over
    /// p &lt; steps of p + 1 positions is (steps + 1) / 2).
    /// </summary>
    public double DecodeBytesPerStep(int steps, int sequences) =>
        DecodeWeightBytesPerStep + sequences * (CrossMemoryBytes + KvBytesPerPosition * (steps + 1) / 2.0);

    /// <summary>The footprint when matrices take <paramref name="matrixElementBytes"/> bytes an element (2: f16/bf16 kept 16-bit, 4: f32).</summary>
    public static VmasFootprint Of(VmasBundle bundle, int matrixElementBytes)
    {
        var config = bundle.Config;
        var t = config.Decoder.Transformer;
        int K = config.Decoder.Codebooks, N = config.Decoder.CodebookSize;
        int positions = DelayPattern.Steps(config.WindowCodeFrames, K);

        long encoder = 4L * config.Grids.Rows(0) * config.Encoder.EmbedDim; // pos_embed.* summed into one f32 table
        foreach (var tensor in bundle.Component("video_encoder").Tensors)
        {
            if (tensor.Name.StartsWith("pos_embed.", StringComparison.Ordinal)) continue;
            bool f32 = tensor.Shape.Length != 2 || tensor.Name.EndsWith(".attn.qkv.weight", StringComparison.Ordinal); // qkv split on the host (VideoEncoder)
            encoder += tensor.ElementCount * (f32 ? 4 : matrixElementBytes);
        }

        long decoder = 4L * positions * t.DModel, perStep = 4L * t.DModel; // the sinusoidal table; one row of it a step
        foreach (var tensor in bundle.Component("music_decoder").Tensors)
        {
            string name = tensor.Name;
            bool table = name.StartsWith("decoder.embed.", StringComparison.Ordinal) || name.StartsWith("decoder.head.", StringComparison.Ordinal);
            long bytes = tensor.ElementCount * (tensor.Shape.Length != 2 || table ? 4 : matrixElementBytes);
            decoder += bytes;
            if (name.StartsWith("decoder.embed.", StringComparison.Ordinal))
                perStep += 4L * t.DModel; // one row of each codebook's table
            else if (!IsCrossKeyValue(name))
                perStep += bytes; // projected once per window by MusicDecoder.Remember, not read per step
        }

        long codec = bundle.Component("codec").Tensors.Sum(e => e.ElementCount * sizeof(float));
        return new VmasFootprint(positions, K, encoder, decoder, codec, perStep,
            KvBytesPerPosition: 2L * t.DecoderLayers * t.Inner * sizeof(float),
            CrossMemoryBytes: 2L * t.DecoderLayers * config.Grids.Time * t.Inner * sizeof(float));
    }

    /// <summary>Bytes per matrix element on <paramref name="backend"/> for this bundle's dtype, asked of the backend itself.</summary>
    public static int MatrixElementBytes(IComputeBackend backend, VmasBundle bundle)
    {
        // The smallest 2-D tensor of the decoder, uploaded once to learn how the backend stores the dtype.
        var file = bundle.Component("music_decoder");
        var smallest = file.Tensors.Where(e => e.Shape.Length == 2).MinBy(e => e.ElementCount)!;
        TensorView probe = file.Get(smallest.Name);
        using var weights = backend.UploadWeights(probe);
        return weights.Format == WeightFormat.Float32 ? 4 : 2;
    }

    static bool IsCrossKeyValue(string name) =>
        name.Contains(".cross_attn.k.", StringComparison.Ordinal) || name.Contains(".cross_attn.v.", StringComparison.Ordinal);
}
