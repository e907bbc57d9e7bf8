using ILGPU;
using ILGPU.Runtime;

namespace V2Meow.Kernels;

/// <summary>The codec's element-wise activations (SPEC §9.1): ELU (α = 1), Snake and the final tanh.</summary>
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
    /// Snake on [channels, length]: x + sin²(α_c·x) / (α_c + 1e-9), α per channel (row). Output may be the input.
    /// </summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void Snake(Index1D i, ArrayView<float> input, ArrayView<float> alpha, ArrayView<float> output, int length)
    {
        float x = input[i];
        float a = alpha[i / length];
        float s = SinSquared(a * x);
        output[i] = x + s / (a + 1e-9f);
    }

    /// <summary>
    /// sin²(θ) to a few float32 ulps for |θ| up to about 1e4 (Cephes sinf: Cody–Waite reduction by π/4 in three
    /// parts, then the sine or cosine polynomial of the octant). Written out rather than MathF.Sin because
    /// ILGPU lowers that to PTX sin.approx.f32, whose error grows with |θ|. The square drops the sign, so the
    /// octant only picks the polynomial.
    /// </summary>
    public static float SinSquared(float theta)
    {
        float x = MathF.Abs(theta);
        int j = (int)(x * 1.27323954473516f); // 4/π
        float y = j;
        if ((j & 1) != 0)
        {
            j += 1;
            y += 1f;
        }
        j &= 3;
        float r = ((x - y * 0.78515625f) - y * 2.4187564849853515625e-4f) - y * 3.77489497744594108e-8f;
        float z = r * r;
        float v = j == 1 || j == 2
            ? 1f - 0.5f * z + z * z * (4.166664568298827e-2f + z * (-1.388731625493765e-3f + z * 2.443315711809948e-5f))
            : r + r * z * (-1.6666654611e-1f + z * (8.3321608736e-3f + z * -1.9515295891e-4f));
        return v * v;
    }

    /// <summary>
    /// tanh, element-wise, as sign(x)·(1 − e)/(1 + e) with e = exp(−2|x|). Not MathF.Tanh: ILGPU lowers that to
    /// PTX tanh.approx.f32, whose error (about 2⁻¹¹ relative) alone would exceed the codec's 1e-4 golden
    /// tolerance; this form is accurate to a few 1e-7 absolute and cannot overflow. Output may be the input.
    /// </summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void Tanh(Index1D i, ArrayView<float> input, ArrayView<float> output) => output[i] = TanhOf(input[i]);

    /// <summary>The accurate tanh of <see cref="Tanh"/> for one value, for kernels that need it inline (the LSTM's gates).</summary>
    public static float TanhOf(float x)
    {
        float e = MathF.Exp(-2f * MathF.Abs(x));
        float t = (1f - e) / (1f + e);
        return x < 0f ? -t : t;
    }
}

/// <summary>Loads the codec activation kernels once per accelerator.</summary>
public sealed class CodecActivations
{
    readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>> _elu;
    readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>> _tanh;
    readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> _snake;

    /// <summary>Compiles the ELU, tanh and Snake kernels for <paramref name="accelerator"/>.</summary>
    public CodecActivations(Accelerator accelerator)
    {
        _elu = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(CodecActivationKernels.Elu);
        _tanh = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(CodecActivationKernels.Tanh);
        _snake = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(
            CodecActivationKernels.Snake);
    }

    /// <summary>ELU (alpha 1) over the first <paramref name="length"/> elements.</summary>
    public void Elu(AcceleratorStream stream, ArrayView<float> input, ArrayView<float> output, int length)
    {
        _elu(stream, length, input, output);
    }

    /// <summary>Snake over [channels, length] (alpha [channels]).</summary>
    public void Snake(AcceleratorStream stream, ArrayView<float> input, ArrayView<float> alpha, ArrayView<float> output,
        int channels, int length)
    {
        _snake(stream, channels * length, input, alpha, output, length);
    }

    /// <summary>tanh over the first <paramref name="length"/> elements: the codec's output activation.</summary>
    public void Tanh(AcceleratorStream stream, ArrayView<float> input, ArrayView<float> output, int length)
    {
        _tanh(stream, length, input, output);
    }
}
