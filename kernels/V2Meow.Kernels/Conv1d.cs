using ILGPU;
using ILGPU.Runtime;

namespace V2Meow.Kernels;

/// <summary>
/// Stride-1 dilated 1-D convolution over [channels, time] rows, the codec's Conv (SPEC §9.2):
/// y[o, t] = bias[o] + Σ_i Σ_{j&lt;k} W[o, i, j] · x[i, t + j·δ − P_left] (+ residual[o, t]), with x zero
/// outside [0, L). Causal padding is P_left = (k − 1)·δ, centred ⌊(k − 1)·δ / 2⌋.
/// </summary>
public static class Conv1dKernels
{
    /// <summary>
    /// One thread per output sample, time along X so neighbouring threads read neighbouring samples
    /// (coalesced) and share each weight (a broadcast). The residual is added in the same pass, which
    /// saves the residual unit a separate add; it may be the output buffer itself (each thread reads its
    /// own element before writing it), but the input may not.
    /// </summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void Direct(
        Index2D index,
        ArrayView<float> input,
        ArrayView<float> weight,
        ArrayView<float> bias,
        ArrayView<float> residual,
        ArrayView<float> output,
        int inChannels,
        int length,
        int kernel,
        int dilation,
        int padLeft,
        int addResidual)
    {
        int t = index.X, o = index.Y;
        float acc = bias[o];
        int wBase = o * inChannels * kernel;
        for (int j = 0; j < kernel; j++)
        {
            int source = t + j * dilation - padLeft;
            if (source < 0 || source >= length) continue;
            for (int i = 0; i < inChannels; i++)
                acc += weight[wBase + i * kernel + j] * input[i * length + source];
        }
        int at = o * length + t;
        if (addResidual != 0) acc += residual[at];
        output[at] = acc;
    }

    /// <summary>
    /// The encoder's strided convolution (SPEC §9.3): y[o, t] = bias[o] + Σ_i Σ_{j&lt;k} W[o, i, j] · x[i, t·s + j − P_left],
    /// x zero outside [0, L), for t &lt; L / s. One thread per output sample, as <see cref="Direct"/>.
    /// </summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void Strided(
        Index2D index,
        ArrayView<float> input,
        ArrayView<float> weight,
        ArrayView<float> bias,
        ArrayView<float> output,
        int inChannels,
        int length,
        int kernel,
        int stride,
        int padLeft)
    {
        int t = index.X, o = index.Y;
        float acc = bias[o];
        int wBase = o * inChannels * kernel;
        for (int j = 0; j < kernel; j++)
        {
            int source = t * stride + j - padLeft;
            if (source < 0 || source >= length) continue;
            for (int i = 0; i < inChannels; i++)
                acc += weight[wBase + i * kernel + j] * input[i * length + source];
        }
        output[o * (length / stride) + t] = acc;
    }
}

/// <summary>Loads the Conv1d kernel once per accelerator.</summary>
public sealed class Conv1d
{
    readonly Action<AcceleratorStream, Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, int, int, int, int, int, int> _direct;

    readonly Action<AcceleratorStream, Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        int, int, int, int, int> _strided;

    /// <summary>Compiles the Conv1d kernels for <paramref name="accelerator"/>.</summary>
    public Conv1d(Accelerator accelerator)
    {
        _direct = accelerator.LoadAutoGroupedKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, int, int, int, int, int, int>(Conv1dKernels.Direct);
        _strided = accelerator.LoadAutoGroupedKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, int, int, int, int, int>(Conv1dKernels.Strided);
    }

    /// <summary>
    /// output [outChannels, length / stride] from input [inChannels, length], weight [outChannels, inChannels, kernel],
    /// <paramref name="padLeft"/> zeros before the input (SPEC §9.3).
    /// </summary>
    public void RunStrided(AcceleratorStream stream, ArrayView<float> input, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> output, int inChannels, int outChannels, int length, int kernel, int stride, int padLeft)
    {
        _strided(stream, new Index2D(length / stride, outChannels), input, weight, bias, output,
            inChannels, length, kernel, stride, padLeft);
    }

    /// <summary>
    /// output [outChannels, length] from input [inChannels, length], weight [outChannels, inChannels, kernel];
    /// <paramref name="residual"/>, when given, is added to the result.
    /// </summary>
    public void Run(AcceleratorStream stream, ArrayView<float> input, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float>? residual, ArrayView<float> output, int inChannels, int outChannels, int length, int kernel,
        int dilation, int padLeft)
    {
        _direct(stream, new Index2D(length, outChannels), input, weight, bias, residual ?? output, output,
            inChannels, length, kernel, dilation, padLeft, residual.HasValue ? 1 : 0);
    }
}
