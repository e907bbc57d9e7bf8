using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Families.V2Meow;

namespace V2Meow.Tests.Generation;

/// <summary>The embedded default model on the CPU backend, loaded once for a test class.</summary>
public sealed class DefaultPipelineFixture : IDisposable
{
    public V2MeowPipeline Pipeline { get; } = V2MeowPipeline.LoadDefault(DeviceKind.Cpu);

    public void Dispose() => Pipeline.Dispose();
}
