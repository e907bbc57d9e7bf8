using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;
using V2Meow.Numerics;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Families.V2Meow;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Benchmarking;

/// <summary>
/// What one transformer stage holds and reads on a backend, from the bundle's tensor list and the backend's
/// weight format: the resident weights, the bytes a decode step streams (the bandwidth floor's numerator),
/// and the KV cache pool (f32 keys and values, every layer, in blocks of <see cref="PagedKvCache.DefaultBlockSize"/>).
/// </summary>
public sealed record StageFootprint(
    string Stage,
    int WindowTokens,
    long WeightBytes,
    long DecodeWeightBytesPerStep,
    long KvBytesPerPosition,
    long CrossMemoryBytes)
{
    /// <summary>The pool a stage allocates for <paramref name="sequences"/> sequences of <paramref name="length"/> positions, none shared.</summary>
    public long KvPoolBytes(int sequences, int length) =>
        (long)PagedKvCache.BlocksFor(sequences, length) * PagedKvCache.DefaultBlockSize * KvBytesPerPosition;

    /// <summary>
    /// Bytes one decode step of a batch reads, averaged over a decode of <paramref name="steps"/> tokens from
    /// an empty cache: the weights once for the whole batch, then per sequence its cross-attention memory and
    /// its cached keys and values (position p reads p + 1 rows; the mean over p &lt; steps is (steps + 1) / 2).
    /// </summary>
    public double DecodeBytesPerStep(int steps, int batch) =>
        DecodeWeightBytesPerStep + batch * (CrossMemoryBytes + KvBytesPerPosition * (steps + 1) / 2.0);

    /// <summary>
    /// The footprint of <paramref name="stage"/> when matrices take <paramref name="matrixElementBytes"/> bytes
    /// an element (2 for f16/bf16 kept 16-bit, 4 for f32); vectors are always f32 (WeightReader.Vector).
    /// </summary>
    public static StageFootprint Of(Bundle bundle, StageId stage, int matrixElementBytes)
    {
        var config = bundle.Config.Stage(stage);
        bool encoder = bundle.Config.HasEncoder(stage);
        long resident = 0, perStep = 0;
        foreach (var tensor in bundle.Component(stage.Name()).Tensors)
        {
            string name = tensor.Name;
            long bytes;
            if (name.EndsWith("rel_bias.weight", StringComparison.Ordinal))
                // Turned into a per-distance table [heads, 2 · max_distance + 1] in f32 (PositionBiasLoader).
                bytes = 4L * config.NHeads * (2 * config.RelMaxDistance + 1);
            else
                bytes = tensor.ElementCount * (tensor.Shape.Length == 2 ? matrixElementBytes : 4);
            resident += bytes;

            if (!name.StartsWith("decoder.", StringComparison.Ordinal)) continue;
            if (name == "decoder.embed.weight")
                perStep += (long)config.DModel * matrixElementBytes; // one row a token
            else if (IsCrossKeyValue(name))
                continue; // projected once into the cross memory (Decoder.Remember), not read per step
            else
                perStep += bytes;
        }
        int encoderPositions = encoder ? WindowGeometry.EncoderPositions(bundle.Config, stage) : 0;
        return new StageFootprint(
            stage.Name(),
            WindowGeometry.DecoderLength(bundle.Config, stage),
            resident,
            perStep,
            KvBytesPerPosition: 2L * config.DecoderLayers * config.Inner * sizeof(float),
            CrossMemoryBytes: 2L * config.DecoderLayers * encoderPositions * config.Inner * sizeof(float));
    }

    /// <summary>Bytes per matrix element on <paramref name="backend"/> for this bundle's dtype, asked of the backend itself.</summary>
    public static int MatrixElementBytes(IComputeBackend backend, Bundle bundle)
    {
        // The smallest matrix of any component: uploaded once to learn how the backend stores the dtype.
        TensorView probe = bundle.Component(StageId.Stage3.Name()).Get("decoder.rel_bias.weight");
        using var weights = backend.UploadWeights(probe);
        return weights.Format == WeightFormat.Float32 ? 4 : 2;
    }

    static bool IsCrossKeyValue(string name) =>
        name.Contains(".cross_attn.k.", StringComparison.Ordinal) || name.Contains(".cross_attn.v.", StringComparison.Ordinal);
}
