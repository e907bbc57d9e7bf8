using ILGPU;
using ILGPU.Runtime;

namespace V2Meow.Kernels;

/// <summary>Element-wise kernels: residual add, bias add.</summary>
public static class ElementwiseKernels
{
    /// <summary>output[i] = a[i] + b[i]: the residual add.</summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void Add(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> output) =>
        output[i] = a[i] + b[i];

    /// <summary>x[r, c] += bias[c]: the bias of a Linear layer, broadcast over rows.</summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void AddBias(Index1D i, ArrayView<float> x, ArrayView<float> bias, int columns) =>
        x[i] += bias[i % columns];
}

/// <summary>Loads the element-wise kernels once per accelerator.</summary>
public sealed class Elementwise
{
    readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> _add;
    readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int> _addBias;

    /// <summary>Compiles the element-wise kernels for <paramref name="accelerator"/>.</summary>
    public Elementwise(Accelerator accelerator)
    {
        _add = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Add);
        _addBias = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.AddBias);
    }

    /// <summary>output = a + b over output's length; output may be a or b.</summary>
    public void Add(AcceleratorStream stream, ArrayView<float> a, ArrayView<float> b, ArrayView<float> output) =>
        _add(stream, (int)output.Length, a, b, output);

    /// <summary>x[r, c] += bias[c] over <paramref name="length"/> elements of rows of <paramref name="columns"/>.</summary>
    public void AddBias(AcceleratorStream stream, ArrayView<float> x, ArrayView<float> bias, int length, int columns) =>
        _addBias(stream, length, x, bias, columns);
}
