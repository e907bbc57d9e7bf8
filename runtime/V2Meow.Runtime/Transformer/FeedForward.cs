using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Transformer;

/// <summary>down(act(up · x)), or for geglu down(gelu(gate · x) · up · x) (SPEC §6.3).</summary>
internal sealed class FeedForward(WeightTensor up, WeightTensor? gate, WeightTensor down, string activation)
{
    public static FeedForward Load(WeightReader reader, string prefix, TransformerConfig config) => new(
        reader.Matrix($"{prefix}.up.weight"),
        config.IsGeglu ? reader.Matrix($"{prefix}.gate.weight") : null,
        reader.Matrix($"{prefix}.down.weight"),
        config.Activation);

    /// <summary>output [n, d] = the feed-forward of h [n, d]; the [n, d_ff] intermediates come from scratch.</summary>
    public void Apply(IComputeBackend backend, DeviceTensor h, DeviceTensor output, ScratchTensors scratch)
    {
        var hidden = scratch.Get("ffn.up", h.Rows, up.Rows);
        backend.MatMul(h, up, hidden);
        if (gate is not null)
        {
            var gated = scratch.Get("ffn.gate", h.Rows, gate.Rows);
            backend.MatMul(h, gate, gated);
            backend.Geglu(gated, hidden, hidden);
        }
        else if (activation == "relu") backend.Relu(hidden, hidden);
        else backend.Gelu(hidden, hidden);
        backend.MatMul(hidden, down, output);
    }
}
