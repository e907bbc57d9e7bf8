using ILGPU;
using ILGPU.Runtime;

namespace V2Meow.Kernels;

/// <summary>The codec's element-wise activations (SPEC §9.1): ELU (α = 1) and the final tanh.</summary>
public static class CodecActivationKernels
{
    /// <summary>ELU(x) = x for x &gt; 0, exp(x) − 1 otherwise. Output may be the input (in place).</summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void Elu(Index1D i, ArrayView<float> input, ArrayView<float> output)
    {
        float x = input[i];
        output[i] = x > 0f ? x : MathF.Exp(x) - 1f;
    }

    /// <summary>
    /// tanh, element-wise, as sign(x)·(1 − e)/(1 + e) with e = exp(−2|x|). Not MathF.Tanh: ILGPU lowers that to
    /// PTX tanh.approx.f32, whose error (about 2⁻¹¹ relative) alone would exceed the codec's 1e-4 golden
    /// tolerance; this form is accurate to a few 1e-7 absolute and cannot overflow. Output may be the input.
    /// </summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void Tanh(Index1D i, ArrayView<float> input, ArrayView<float> output)
    {
        float x = input[i];
        float e = MathF.Exp(-2f * MathF.Abs(x));
        float t = (1f - e) / (1f + e);
        output[i] = x < 0f ? -t : t;
    }
}

/// <summary>Loads the codec activation kernels once per accelerator.</summary>
public sealed class CodecActivations
{
    readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>> _elu;
    readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>> _tanh;

    public CodecActivations(Accelerator accelerator)
    {
        _elu = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(CodecActivationKernels.Elu);
        _tanh = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(CodecActivationKernels.Tanh);
    }

    public void Elu(AcceleratorStream stream, ArrayView<float> input, ArrayView<float> output, int length)
    {
        if (length > 0) _elu(stream, length, input, output);
    }

    public void Tanh(AcceleratorStream stream, ArrayView<float> input, ArrayView<float> output, int length)
    {
        if (length > 0) _tanh(stream, length, input, output);
    }
}
