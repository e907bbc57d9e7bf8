namespace V2Meow.Runtime.Backends;

/// <summary>
/// A stack's relative-position bias as attention reads it: Table [heads, 2 · MaxDistance + 1] holds the
/// bias for key − query = −MaxDistance..MaxDistance (SPEC §6.5); distances beyond saturate, so kernels clamp.
/// Owns its table.
/// </summary>
public sealed class PositionBias(DeviceTensor table, int maxDistance) : IDisposable
{
    public DeviceTensor Table { get; } = table;
    public int MaxDistance { get; } = maxDistance;
    public int Width => 2 * MaxDistance + 1;

    public void Dispose() => Table.Dispose();
}
