using ILGPU;
using ILGPU.Runtime;
using V2Meow.Numerics;

namespace V2Meow.Kernels;

/// <summary>Feed-forward activations (SPEC §6.3): gelu, relu, and geglu = gelu(gate) · up.</summary>
public static class ActivationsKernels
{
    /// <summary>y[i] = gelu(x[i]), the exact-erf GELU.</summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void Gelu(Index1D i, ArrayView<float> x, ArrayView<float> y) => y[i] = GeluMath.Gelu(x[i]);

    /// <summary>y[i] = max(x[i], 0).</summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void Relu(Index1D i, ArrayView<float> x, ArrayView<float> y) => y[i] = x[i] > 0f ? x[i] : 0f;

    /// <summary>y[i] = gelu(gate[i]) · up[i].</summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void Geglu(Index1D i, ArrayView<float> gate, ArrayView<float> up, ArrayView<float> y) =>
        y[i] = GeluMath.Gelu(gate[i]) * up[i];
}

/// <summary>Loads the activation kernels once per accelerator; ILGPU picks the groups.</summary>
public sealed class Activations
{
    readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>> _gelu;
    readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>> _relu;
    readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> _geglu;

    /// <summary>Compiles the three kernels for <paramref name="accelerator"/>.</summary>
    public Activations(Accelerator accelerator)
    {
        _gelu = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(ActivationsKernels.Gelu);
        _relu = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(ActivationsKernels.Relu);
        _geglu = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ActivationsKernels.Geglu);
    }

    /// <summary>y = gelu(x) over the first <paramref name="length"/> elements; y may be x.</summary>
    public void Gelu(AcceleratorStream stream, ArrayView<float> x, ArrayView<float> y, int length) => _gelu(stream, length, x, y);

    /// <summary>y = relu(x) over the first <paramref name="length"/> elements; y may be x.</summary>
    public void Relu(AcceleratorStream stream, ArrayView<float> x, ArrayView<float> y, int length) => _relu(stream, length, x, y);

    /// <summary>y = gelu(gate) · up over the first <paramref name="length"/> elements.</summary>
    public void Geglu(AcceleratorStream stream, ArrayView<float> gate, ArrayView<float> up, ArrayView<float> y, int length) =>
        _geglu(stream, length, gate, up, y);
}
