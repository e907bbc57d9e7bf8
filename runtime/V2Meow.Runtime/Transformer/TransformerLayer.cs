using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Transformer;

/// <summary>
/// One pre-norm block (SPEC §6.1): self-attention, cross-attention in the decoders of encoder–decoder
/// stages, and the feed-forward, each behind its norm and added to the residual stream x. The attention
/// itself is the caller's: the encoder's is dense, the decoder's reads the KV cache.
/// </summary>
internal sealed record TransformerLayer(
    Norm SelfAttentionNorm,
    AttentionWeights SelfAttention,
    Norm? CrossAttentionNorm,
    AttentionWeights? CrossAttention,
    Norm FeedForwardNorm,
    FeedForward FeedForward)
{
    public static TransformerLayer Load(WeightReader reader, string prefix, TransformerConfig config, bool cross) => new(
        Norm.Load(reader, $"{prefix}.self_attn_norm", config),
        AttentionWeights.Load(reader, $"{prefix}.self_attn"),
        cross ? Norm.Load(reader, $"{prefix}.cross_attn_norm", config) : null,
        cross ? AttentionWeights.Load(reader, $"{prefix}.cross_attn") : null,
        Norm.Load(reader, $"{prefix}.ffn_norm", config),
        FeedForward.Load(reader, $"{prefix}.ffn", config));

    /// <summary>h = SelfAttnNorm(x), and the self-attention's q, k, v of h.</summary>
    public void ProjectSelfAttention(IComputeBackend backend, DeviceTensor x, LayerWorkspace w)
    {
        SelfAttentionNorm.Apply(backend, x, w.H);
        backend.MatMul(w.H, SelfAttention.Q, w.Q);
        backend.MatMul(w.H, SelfAttention.K, w.K);
        backend.MatMul(w.H, SelfAttention.V, w.V);
    }

    /// <summary>h = CrossAttnNorm(x), and the cross-attention's queries of h (its keys and values come from the encoder).</summary>
    public void ProjectCrossAttention(IComputeBackend backend, DeviceTensor x, LayerWorkspace w)
    {
        CrossAttentionNorm!.Apply(backend, x, w.H);
        backend.MatMul(w.H, CrossAttention!.Q, w.Q);
    }

    /// <summary>x += Attended · Woᵀ of <paramref name="attention"/>.</summary>
    public static void AddAttentionOutput(IComputeBackend backend, AttentionWeights attention, DeviceTensor x, LayerWorkspace w)
    {
        backend.MatMul(w.Attended, attention.O, w.O);
        backend.Add(x, w.O, x);
    }

    /// <summary>x += FFN(FFNNorm(x)).</summary>
    public void AddFeedForward(IComputeBackend backend, DeviceTensor x, LayerWorkspace w, ScratchTensors scratch)
    {
        FeedForwardNorm.Apply(backend, x, w.H);
        FeedForward.Apply(backend, w.H, w.O, scratch);
        backend.Add(x, w.O, x);
    }
}

/// <summary>The per-layer intermediates of one pass of a stack over n rows, from scratch: reused by every layer.</summary>
internal sealed record LayerWorkspace(DeviceTensor H, DeviceTensor Q, DeviceTensor K, DeviceTensor V, DeviceTensor Attended, DeviceTensor O)
{
    public static LayerWorkspace Get(ScratchTensors scratch, string stack, int rows, int width, int inner) => new(
        scratch.Get($"{stack}.h", rows, width),
        scratch.Get($"{stack}.q", rows, inner),
        scratch.Get($"{stack}.k", rows, inner),
        scratch.Get($"{stack}.v", rows, inner),
        scratch.Get($"{stack}.attended", rows, inner),
        scratch.Get($"{stack}.o", rows, width));
}
