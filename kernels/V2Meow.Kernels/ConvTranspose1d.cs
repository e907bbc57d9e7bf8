using ILGPU;
using ILGPU.Runtime;

namespace V2Meow.Kernels;

/// <summary>
/// Transposed 1-D convolution, the codec's upsampling Up (SPEC §9.2), computed straight into the trimmed
/// window: y[o, u] = full[o, u + start] with
/// full[o, τ] = bias[o] + Σ_i Σ_{t, j: t·s + j = τ} W[i, o, j] · x[i, t].
/// </summary>
public static class ConvTranspose1dKernels
{
    /// <summary>
    /// One thread per output sample. Gathering rather than scattering (as the textbook form does) needs no
    /// atomics: sample τ = q·s + r receives only taps j = r, r + s, r + 2s, … from frames q, q − 1, q − 2, …
    /// </summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void Gather(
        Index2D index,
        ArrayView<float> input,
        ArrayView<float> weight,
        ArrayView<float> bias,
        ArrayView<float> output,
        int inChannels,
        int outChannels,
        int frames,
        int kernel,
        int stride,
        int start,
        int outLength)
    {
        int u = index.X, o = index.Y;
        int full = u + start;
        int q = full / stride;
        float acc = bias[o];
        for (int j = full - q * stride, t = q; j < kernel; j += stride, t--)
        {
            if (t < 0) break;
            if (t >= frames) continue;
            for (int i = 0; i < inChannels; i++)
                acc += weight[(i * outChannels + o) * kernel + j] * input[i * frames + t];
        }
        output[o * outLength + u] = acc;
    }
}

/// <summary>Loads the ConvTranspose1d kernel once per accelerator.</summary>
public sealed class ConvTranspose1d
{
    readonly Action<AcceleratorStream, Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        int, int, int, int, int, int, int> _gather;

    /// <summary>Compiles the ConvTranspose1d kernel for <paramref name="accelerator"/>.</summary>
    public ConvTranspose1d(Accelerator accelerator)
    {
        _gather = accelerator.LoadAutoGroupedKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, int, int, int, int, int, int, int>(ConvTranspose1dKernels.Gather);
    }

    /// <summary>
    /// output [outChannels, outLength] = samples start … start + outLength − 1 of the full transposed
    /// convolution of input [inChannels, frames] with weight [inChannels, outChannels, kernel].
    /// </summary>
    public void Run(AcceleratorStream stream, ArrayView<float> input, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> output, int inChannels, int outChannels, int frames, int kernel, int stride, int start, int outLength)
    {
        _gather(stream, new Index2D(outLength, outChannels), input, weight, bias, output,
            inChannels, outChannels, frames, kernel, stride, start, outLength);
    }
}
