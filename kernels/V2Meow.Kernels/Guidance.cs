using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace V2Meow.Kernels;

/// <summary>Classifier-free guidance of logits (VMAS §6.4): l = u + scale·(c − u), per logit in float32.</summary>
public static class GuidanceKernels
{
    /// <summary>
    /// One thread per logit, the expression as written: difference, product, sum, each rounded. On CUDA the product
    /// and the sum are inline PTX with an explicit rounding mode: a plain mul.f32 feeding an add.f32 may be contracted
    /// into one fma by ptxas, which would round once where the CPU backend rounds twice. OpenCL C has no such
    /// handle from ILGPU (its FP_CONTRACT default allows the fusion), so there the result may differ by an ulp of the
    /// product. Output may be either input (each thread reads its own elements before writing).
    /// </summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void Mix(Index1D i, ArrayView<float> conditioned, ArrayView<float> unconditioned, ArrayView<float> output, float scale)
    {
        float u = unconditioned[i];
        float difference = conditioned[i] - u;
        float mixed;
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("mul.rn.f32 %0, %1, %2;", out float step, scale, difference);
            CudaAsm.Emit("add.rn.f32 %0, %1, %2;", out mixed, u, step);
        }
        else
        {
            float step = scale * difference;
            mixed = u + step;
        }
        output[i] = mixed;
    }
}

/// <summary>Loads the guidance kernel once per accelerator.</summary>
public sealed class Guidance
{
    readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float> _mix;

    /// <summary>Compiles the guidance kernel for <paramref name="accelerator"/>.</summary>
    public Guidance(Accelerator accelerator)
    {
        _mix = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float>(GuidanceKernels.Mix);
    }

    /// <summary>output = u + scale·(c − u) over the first <paramref name="length"/> elements.</summary>
    public void Mix(AcceleratorStream stream, ArrayView<float> conditioned, ArrayView<float> unconditioned, ArrayView<float> output,
        float scale, int length) =>
        _mix(stream, length, conditioned, unconditioned, output, scale);
}
