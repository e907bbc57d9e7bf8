using V2Meow.Loaders.Bundles;

namespace V2Meow.Runtime.Transformer;

/// <summary>
/// The weights of one pre-norm block (SPEC §6.1): self-attention, cross-attention in the decoders of
/// encoder–decoder stages, and the feed-forward, each behind its norm.
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
}
