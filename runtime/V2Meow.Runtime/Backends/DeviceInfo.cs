namespace V2Meow.Runtime.Backends;

/// <summary>What a device is and what it can do, as <c>v2meow devices</c> prints it.</summary>
public sealed record DeviceInfo(
    DeviceKind Kind,
    string Name,
    long MemoryBytes,
    int MaxThreadsPerGroup,
    int WarpSize,
    int ProcessorCount,
    string Capabilities)
{
    /// <summary>One line for <c>v2meow devices</c>: kind, name, memory in GiB and the limits.</summary>
    public override string ToString() =>
        $"{DeviceKinds.Name(Kind),-9} {Name}  memory {MemoryBytes / (1024.0 * 1024 * 1024):F1} GiB  " +
        $"groups ≤ {MaxThreadsPerGroup} threads  warp {WarpSize}  processors {ProcessorCount}  {Capabilities}";
}
