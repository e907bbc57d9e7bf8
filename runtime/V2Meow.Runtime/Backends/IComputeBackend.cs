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
    /// <summary>Which backend this is; never <see cref="DeviceKind.Auto"/>.</summary>
    DeviceKind Kind { get; }
    /// <summary>The device it runs on, as <c>v2meow devices</c> prints it.</summary>
    DeviceInfo Device { get; }

    /// <summary>An f32 tensor of <paramref name="shape"/>, contents undefined; the caller owns and disposes it.</summary>
    DeviceTensor Allocate(params int[] shape);
    /// <summary>
    /// An f32 tensor of <paramref name="shape"/> holding <paramref name="values"/> (exactly as many as the shape); the caller owns it.
    /// </summary>
    DeviceTensor Upload(ReadOnlySpan<float> values, params int[] shape);
    /// <summary>
    /// Copies the whole tensor to <paramref name="destination"/>, which must have its length; waits for the ops before it.
    /// </summary>
    void Download(DeviceTensor tensor, Span<float> destination);
    /// <summary>Waits until every op issued so far has finished.</summary>
    void Synchronize();

    /// <summary>output = a + b, element-wise; all three the same length.</summary>
    void Add(DeviceTensor a, DeviceTensor b, DeviceTensor output);

    /// <summary>
    /// output[M, N] = input[M, K] · weight[N, K]ᵀ, the Linear layout of SPEC (weights stored [out, in]).
    /// M = 1 takes the GEMV path (decode), larger M the tiled GEMM (prefill).
    /// </summary>
    void MatMul(DeviceTensor input, DeviceTensor weight, DeviceTensor output);
}
