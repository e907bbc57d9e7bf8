namespace V2Meow.Runtime.Backends.Cpu;

/// <summary>An int tensor of the CPU backend: a managed array.</summary>
internal sealed class CpuIntTensor : DeviceIntTensor
{
    public int[] Data { get; private set; }

    public CpuIntTensor(IComputeBackend backend, int[] shape) : base(backend, shape) => Data = new int[Length];

    protected override void Release() => Data = [];
}
