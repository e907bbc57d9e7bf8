namespace V2Meow.Runtime.Backends;

/// <summary>The head split of an attention: rows hold Heads · HeadDim values; scores are Scale · q·k (SPEC §6.4).</summary>
public readonly record struct AttentionHeads(int Heads, int HeadDim, float Scale)
{
    /// <summary>Heads · HeadDim: the width of q, k, v and the attention output.</summary>
    public int Inner => Heads * HeadDim;
}
