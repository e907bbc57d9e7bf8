namespace V2Meow.Runtime.Backends;

/// <summary>
/// A stack's relative-position bias as attention reads it: Table [heads, 2 · MaxDistance + 1] holds the
/// bias for key − query = −MaxDistance..MaxDistance (SPEC §6.5); distances beyond saturate, so kernels clamp.
/// Owns its table.
/// </summary>
public sealed class PositionBias(DeviceTensor table, int maxDistance) : IDisposable
{
    /// <summary>[heads, <see cref="Width"/>]: column MaxDistance + (key − query) holds that offset's bias.</summary>
    public DeviceTensor Table { get; } = table;
    /// <summary>Offsets are clamped to ±MaxDistance, past which T5's buckets saturate.</summary>
    public int MaxDistance { get; } = maxDistance;
    /// <summary>2 · MaxDistance + 1 columns per head.</summary>
    public int Width => 2 * MaxDistance + 1;

    /// <summary>Frees the table.</summary>
    public void Dispose() => Table.Dispose();
}
