using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Transformer;

/// <summary>
/// The bidirectional encoder of stage 1 and of stage 2's encoder–decoder variant (SPEC §6.6): dense streams
/// projected, token streams embedded, concatenated in time in config order, the style position last; then
/// the layers with a bidirectional relative bias and no mask, then the final norm. With a time embedding
/// (stage 1, SPEC §6.8) each stream row also gets the embedding of its frame's time.
/// </summary>
internal sealed class Encoder
{
    sealed record StreamInput(StreamConfig Stream, WeightTensor Weights, DeviceTensor? Bias);

    readonly TransformerConfig _config;
    readonly IReadOnlyList<StreamInput> _streams;
    readonly (WeightTensor Weights, DeviceTensor Bias)? _style;
    readonly IReadOnlyList<TransformerLayer> _layers;
    readonly PositionBias _bias;
    readonly Norm _finalNorm;
    readonly AttentionHeads _heads;
    readonly double _videoFps;

    Encoder(TransformerConfig config, IReadOnlyList<StreamInput> streams, (WeightTensor, DeviceTensor)? style,
        IReadOnlyList<TransformerLayer> layers, PositionBias bias, Norm finalNorm, double videoFps)
    {
        _videoFps = videoFps;
        _config = config;
        _streams = streams;
        _style = style;
        _layers = layers;
        _bias = bias;
        _finalNorm = finalNorm;
        _heads = new AttentionHeads(config.NHeads, config.HeadDim, (float)config.AttentionScale);
    }

    /// <summary>The encoder's weights; <paramref name="videoFps"/> times its rows when the stage has a time embedding.</summary>
    public static Encoder Load(WeightReader reader, TransformerConfig config, double videoFps)
    {
        var streams = config.Streams.Select(s => s.IsDense
            ? new StreamInput(s, reader.Matrix($"encoder.streams.{s.Name}.proj.weight"), reader.Vector($"encoder.streams.{s.Name}.proj.bias"))
            : new StreamInput(s, reader.Matrix($"encoder.streams.{s.Name}.embed.weight"), null)).ToList();
        (WeightTensor, DeviceTensor)? style = config.StyleDim > 0
            ? (reader.Matrix("encoder.style.proj.weight"), reader.Vector("encoder.style.proj.bias"))
            : null;
        var layers = Enumerable.Range(0, config.EncoderLayers)
            .Select(i => TransformerLayer.Load(reader, $"encoder.layers.{i}", config, cross: false)).ToList();
        var bias = PositionBiasLoader.Load(reader, "encoder", config, bidirectional: true);
        return new Encoder(config, streams, style, layers, bias, Norm.Load(reader, "encoder.final_norm", config), videoFps);
    }

    /// <summary>The encoder output [positions, d_model], in <paramref name="scratch"/> until its next use.</summary>
    public DeviceTensor Run(IComputeBackend backend, EncoderInput input, ScratchTensors scratch, ActivationTrace? trace)
    {
        int rows = input.Length(_config), d = _config.DModel;
        var x = scratch.Get("encoder.x", rows, d);
        Embed(backend, input, x);
        trace?.Invoke("encoder.embed", x);

        var w = LayerWorkspace.Get(scratch, "encoder", rows, d, _heads.Inner);
        for (int i = 0; i < _layers.Count; i++)
        {
            var layer = _layers[i];
            layer.ProjectSelfAttention(backend, x, w);
            backend.Attention(w.Q, w.K, w.V, w.Attended, _heads, _bias);
            TransformerLayer.AddAttentionOutput(backend, layer.SelfAttention, x, w);
            layer.AddFeedForward(backend, x, w, scratch);
            trace?.Invoke($"encoder.layers.{i}", x);
        }
        var output = scratch.Get("encoder.out", rows, d);
        _finalNorm.Apply(backend, x, output);
        trace?.Invoke("encoder.out", output);
        return output;
    }

    /// <summary>Each stream's rows at its offset in time, in config order, then the style row.</summary>
    void Embed(IComputeBackend backend, EncoderInput input, DeviceTensor x)
    {
        int row = 0, d = _config.DModel;
        foreach (var stream in _streams)
        {
            var features = input.Streams[stream.Stream.Name];
            int rows = stream.Stream.IsDense ? features.Frames : features.Tokens!.Length;
            var part = backend.Allocate(rows, d);
            try
            {
                // Uploads live to the end of this block, past the Synchronize below that finishes the launches reading them.
                using var values = stream.Stream.IsDense ? backend.Upload(features.DenseValues, rows, stream.Stream.Dim) : null;
                using var ids = stream.Stream.IsDense ? null : backend.UploadInts(features.Tokens, rows);
                if (values is not null)
                {
                    backend.MatMul(values, stream.Weights, part);
                    backend.AddBias(part, stream.Bias!);
                }
                else backend.Embedding(ids!, stream.Weights, part, new TokenLookup());
                using var time = _config.TimeEmbedding is { } spec
                    ? backend.Upload(TimeEmbedding.Rows(spec, d,
                        TimeEmbedding.FrameTimes(rows, _videoFps, stream.Stream.IsDense ? 1 : stream.Stream.TokensPerFrame)), rows, d)
                    : null;
                if (time is not null) backend.Add(part, time, part);
                backend.CopyRows(part, 0, x, row, rows);
                backend.Synchronize();
            }
            finally { part.Dispose(); }
            row += rows;
        }
        if (_style is { } style)
        {
            using var values = backend.Upload(input.Style!, 1, _config.StyleDim);
            using var part = backend.Allocate(1, d);
            backend.MatMul(values, style.Weights, part);
            backend.AddBias(part, style.Bias);
            backend.CopyRows(part, 0, x, row, 1);
            backend.Synchronize();
        }
    }
}
