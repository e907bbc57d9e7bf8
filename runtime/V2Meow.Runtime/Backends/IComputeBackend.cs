using V2Meow.Runtime.Backends.Cpu;
using V2Meow.Runtime.Backends.Ilgpu;

namespace V2Meow.Runtime.Backends;

/// <summary>
/// The op interface the stages are written against. Two implementations: <see cref="CpuBackend"/>
/// (SIMD, multi-threaded) and <see cref="IlgpuBackend"/> (CUDA, OpenCL, ILGPU's CPU accelerator).
/// Stages never know which one runs them. Ops are issued in order; <see cref="Synchronize"/> waits.
/// </summary>
public partial interface IComputeBackend : IDisposable
{
    DeviceKind Kind { get; }
    DeviceInfo Device { get; }

    DeviceTensor Allocate(params int[] shape);
    DeviceTensor Upload(ReadOnlySpan<float> values, params int[] shape);
    void Download(DeviceTensor tensor, Span<float> destination);
    void Synchronize();

    /// <summary>output = a + b, element-wise; all three the same length.</summary>
    void Add(DeviceTensor a, DeviceTensor b, DeviceTensor output);

    /// <summary>
    /// output[M, N] = input[M, K] · weight[N, K]ᵀ, the Linear layout of SPEC (weights stored [out, in]).
    /// M = 1 takes the GEMV path (decode), larger M the tiled GEMM (prefill).
    /// </summary>
    void MatMul(DeviceTensor input, DeviceTensor weight, DeviceTensor output);
}
