using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Transformer;

/// <summary>
/// The causal decoder of every stage (SPEC §6.4): token embedding, layers whose self-attention reads and
/// extends a <see cref="PagedKvCache"/>, cross-attention to the encoder in encoder–decoder stages (no bias,
/// no mask), the final norm and the head. A prefill and a decode step are the same call with different
/// row layouts. Stage 1 with a time embedding (SPEC §6.8) adds, to each row, the embedding of the time of
/// the token it predicts, looked up by the row's cache position in a table built at load.
/// </summary>
internal sealed class Decoder
{
    readonly TransformerConfig _config;
    readonly WeightTensor _embedding, _head;
    readonly IReadOnlyList<TransformerLayer> _layers;
    readonly PositionBias _bias;
    readonly Norm _finalNorm;
    readonly WeightTensor? _time;

    public AttentionHeads Heads { get; }
    /// <summary>How many positions the time-embedding table covers (the stage's window); null without one.</summary>
    public int? TimePositions => _time?.Rows;
    public int Vocabulary => _head.Rows;
    public int Layers => _layers.Count;
    public int ModelWidth => _config.DModel;
    public bool HasCrossAttention => _layers[0].CrossAttention is not null;

    Decoder(TransformerConfig config, WeightTensor embedding, WeightTensor head, IReadOnlyList<TransformerLayer> layers, PositionBias bias, Norm finalNorm,
        WeightTensor? time)
    {
        _time = time;
        _config = config;
        _embedding = embedding;
        _head = head;
        _layers = layers;
        _bias = bias;
        _finalNorm = finalNorm;
        Heads = new AttentionHeads(config.NHeads, config.HeadDim, (float)config.AttentionScale);
    }

    /// <summary>
    /// The decoder's weights; with a time embedding, its table for positions 0 .. <paramref name="positions"/> − 1
    /// at <paramref name="tokenHz"/> tokens a second.
    /// </summary>
    public static Decoder Load(WeightReader reader, TransformerConfig config, bool cross, double tokenHz = 0, int positions = 0)
    {
        var layers = Enumerable.Range(0, config.DecoderLayers)
            .Select(i => TransformerLayer.Load(reader, $"decoder.layers.{i}", config, cross)).ToList();
        var time = config.TimeEmbedding is { } spec
            ? reader.Table(TimeEmbedding.Rows(spec, config.DModel, TimeEmbedding.TokenTimes(positions, tokenHz)), positions, config.DModel)
            : null;
        return new Decoder(config, reader.Matrix("decoder.embed.weight"), reader.Matrix("decoder.head.weight"), layers,
            PositionBiasLoader.Load(reader, "decoder", config, bidirectional: false), Norm.Load(reader, "decoder.final_norm", config), time);
    }

    /// <summary>Projects the encoder output [positions, d] into each layer's cross-attention keys and values.</summary>
    public CrossMemory Remember(IComputeBackend backend, DeviceTensor encoderOutput)
    {
        var keys = new DeviceTensor[_layers.Count];
        var values = new DeviceTensor[_layers.Count];
        var memory = new CrossMemory(keys, values);
        try
        {
            for (int i = 0; i < _layers.Count; i++)
            {
                var cross = _layers[i].CrossAttention ?? throw new InvalidOperationException("this decoder has no cross-attention");
                keys[i] = backend.Allocate(encoderOutput.Rows, Heads.Inner);
                values[i] = backend.Allocate(encoderOutput.Rows, Heads.Inner);
                backend.MatMul(encoderOutput, cross.K, keys[i]);
                backend.MatMul(encoderOutput, cross.V, values[i]);
            }
        }
        catch
        {
            foreach (var t in keys.Concat(values)) t?.Dispose();
            throw;
        }
        return memory;
    }

    /// <summary>x [rows, d] = the embeddings of the ids <paramref name="lookup"/> picks.</summary>
    public void Embed(IComputeBackend backend, DeviceIntTensor ids, TokenLookup lookup, DeviceTensor x) =>
        backend.Embedding(ids, _embedding, x, lookup);

    /// <summary>
    /// Runs embedded rows x [rows, d] (changed in place: it is the residual stream) through the layers,
    /// storing each row's keys and values in the cache at the place <paramref name="rows"/> gives; returns
    /// the final-normed hidden state [rows, d] from <paramref name="scratch"/>.
    /// </summary>
    public DeviceTensor Forward(IComputeBackend backend, DeviceTensor x, PagedRows rows, PagedKvCache cache, CrossMemory? memory,
        ScratchTensors scratch, ActivationTrace? trace)
    {
        if (HasCrossAttention && memory is null) throw new ArgumentException("this decoder attends to an encoder; pass its memory");
        int n = x.Rows, d = _config.DModel;
        if (_time is not null)
        {
            // Row r sits at position RowPosition[r] + Step: the table row of that index.
            var time = scratch.Get("decoder.time", n, d);
            backend.Embedding(rows.RowPosition, _time, time, new TokenLookup(IdOffset: rows.Step));
            backend.Add(x, time, x);
        }
        trace?.Invoke("decoder.embed", x);
        var w = LayerWorkspace.Get(scratch, "decoder", n, d, Heads.Inner);
        for (int i = 0; i < _layers.Count; i++)
        {
            var layer = _layers[i];
            layer.ProjectSelfAttention(backend, x, w);
            backend.WriteKeyValues(w.K, w.V, cache.Keys(i), cache.Values(i), rows);
            backend.PagedAttention(w.Q, cache.Keys(i), cache.Values(i), w.Attended, rows, Heads, _bias);
            TransformerLayer.AddAttentionOutput(backend, layer.SelfAttention, x, w);
            if (layer.CrossAttention is { } cross)
            {
                // SPEC §6.4: cross-attention has no bias and no mask.
                layer.ProjectCrossAttention(backend, x, w);
                backend.Attention(w.Q, memory!.Keys(i), memory.Values(i), w.Attended, Heads, bias: null);
                TransformerLayer.AddAttentionOutput(backend, cross, x, w);
            }
            layer.AddFeedForward(backend, x, w, scratch);
            trace?.Invoke($"decoder.layers.{i}", x);
        }
        var output = scratch.Get("decoder.out", n, d);
        _finalNorm.Apply(backend, x, output);
        trace?.Invoke("decoder.out", output);
        return output;
    }

    /// <summary>logits [rows, vocab] = hidden [rows, d] · headᵀ.</summary>
    public void Logits(IComputeBackend backend, DeviceTensor hidden, DeviceTensor logits) => backend.MatMul(hidden, _head, logits);
}
