using ILGPU;
using ILGPU.Runtime;

namespace V2Meow.Kernels;

/// <summary>Element-wise kernels: residual add.</summary>
public static class ElementwiseKernels
{
    [Kernel(KernelGrouping.Implicit)]
    public static void Add(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> output) =>
        output[i] = a[i] + b[i];
}

/// <summary>Loads the element-wise kernels once per accelerator.</summary>
public sealed class Elementwise
{
    readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> _add;

    public Elementwise(Accelerator accelerator)
    {
        _add = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Add);
    }

    public void Add(AcceleratorStream stream, ArrayView<float> a, ArrayView<float> b, ArrayView<float> output) =>
        _add(stream, (int)output.Length, a, b, output);
}
