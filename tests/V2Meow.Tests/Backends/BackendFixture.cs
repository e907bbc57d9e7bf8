using V2Meow.Runtime.Backends;

namespace V2Meow.Tests.Backends;

/// <summary>
/// One instance of each backend that runs on any machine, shared by a test class: the CPU backend and
/// ILGPU's CPU accelerator (which runs the GPU kernels in emulation, so sizes stay tiny).
/// </summary>
public sealed class BackendFixture : IDisposable
{
    readonly Lazy<IComputeBackend> _cpu = new(() => DeviceCatalog.Open(DeviceKind.Cpu));
    readonly Lazy<IComputeBackend> _ilgpuCpu = new(() => DeviceCatalog.Open(DeviceKind.IlgpuCpu));

    public IComputeBackend Get(string name) => name switch
    {
        "cpu" => _cpu.Value,
        "ilgpu-cpu" => _ilgpuCpu.Value,
        _ => throw new ArgumentException(name),
    };

    public static TheoryData<string> Names => new() { "cpu", "ilgpu-cpu" };

    public void Dispose()
    {
        if (_cpu.IsValueCreated) _cpu.Value.Dispose();
        if (_ilgpuCpu.IsValueCreated) _ilgpuCpu.Value.Dispose();
    }
}
