namespace V2Meow.Runtime.Backends;

/// <summary>
/// Which table row output row r of an embedding takes: ids[IdsOffset + r] + IdOffset + (r mod Levels) · LevelStride.
/// The default is a plain lookup of ids[r]. The level terms turn time-major RVQ codes into token ids (SPEC §7).
/// </summary>
public readonly record struct TokenLookup(int IdsOffset = 0, int IdOffset = 0, int Levels = 1, int LevelStride = 0)
{
    /// <summary>A plain lookup (also what <c>default</c> would be, were Levels not 1).</summary>
    public TokenLookup() : this(0, 0, 1, 0) { }
}
