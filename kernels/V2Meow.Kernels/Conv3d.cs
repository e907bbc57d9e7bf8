using ILGPU;
using ILGPU.Runtime;

namespace V2Meow.Kernels;

/// <summary>
/// The extents of one Conv3dPatches launch: input [InChannels, Frames, Height, Width], weight [OutChannels,
/// InChannels, KernelT, KernelH, KernelW], output rows of OutChannels for the grid (OutT, OutH, OutW) in (t, h, w) order.
/// </summary>
public struct PatchGrid
{
    /// <summary>Ci.</summary>
    public int InChannels;
    /// <summary>F, input frames.</summary>
    public int Frames;
    /// <summary>H, input height.</summary>
    public int Height;
    /// <summary>W, input width.</summary>
    public int Width;
    /// <summary>Co, the columns of an output row.</summary>
    public int OutChannels;
    /// <summary>kt.</summary>
    public int KernelT;
    /// <summary>kh.</summary>
    public int KernelH;
    /// <summary>kw.</summary>
    public int KernelW;
    /// <summary>st.</summary>
    public int StrideT;
    /// <summary>sh.</summary>
    public int StrideH;
    /// <summary>sw.</summary>
    public int StrideW;
    /// <summary>pt, zeros before the first frame.</summary>
    public int PadT;
    /// <summary>ph, zero rows above the frame.</summary>
    public int PadH;
    /// <summary>pw, zero columns left of the frame.</summary>
    public int PadW;
    /// <summary>H', output grid height.</summary>
    public int OutH;
    /// <summary>W', output grid width.</summary>
    public int OutW;
}

/// <summary>
/// The patch embedding of a Hiera video encoder (VMAS §6.2): a 3-D convolution with zero padding whose output is
/// written as rows, y[t·H'·W' + h·W' + w, o] = Σ_{i,a,b,c} W[o, i, a, b, c] · x[i, t·st − pt + a, h·sh − ph + b,
/// w·sw − pw + c] + bias[o], with x zero outside the input.
/// </summary>
public static class Conv3dKernels
{
    /// <summary>
    /// One thread per output element, channel fastest: a warp writes one row's channels together (coalesced) and
    /// reads the same input values (a broadcast); the weights, 170 KiB at the paper's size, stay in cache. The sum
    /// runs in the weight's (i, a, b, c) order, then the bias is added.
    /// </summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void Patches(Index1D index, ArrayView<float> input, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> output, PatchGrid g)
    {
        int row = index / g.OutChannels, o = index - row * g.OutChannels;
        int plane = g.OutH * g.OutW, t = row / plane, hw = row - t * plane, oh = hw / g.OutW, ow = hw - oh * g.OutW;
        int f0 = t * g.StrideT - g.PadT, y0 = oh * g.StrideH - g.PadH, x0 = ow * g.StrideW - g.PadW;
        int w = o * g.InChannels * g.KernelT * g.KernelH * g.KernelW;
        float acc = 0f;
        for (int i = 0; i < g.InChannels; i++)
            for (int a = 0; a < g.KernelT; a++)
            {
                int f = f0 + a;
                for (int b = 0; b < g.KernelH; b++)
                {
                    int y = y0 + b;
                    bool inside = f >= 0 && f < g.Frames && y >= 0 && y < g.Height;
                    int source = ((i * g.Frames + f) * g.Height + y) * g.Width + x0;
                    for (int c = 0; c < g.KernelW; c++, w++)
                    {
                        int x = x0 + c;
                        if (inside && x >= 0 && x < g.Width) acc += weight[w] * input[source + c];
                    }
                }
            }
        output[index] = acc + bias[o];
    }
}

/// <summary>Loads the Conv3dPatches kernel once per accelerator.</summary>
public sealed class Conv3d
{
    readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, PatchGrid> _patches;

    /// <summary>Compiles the patch-embedding kernel for <paramref name="accelerator"/>.</summary>
    public Conv3d(Accelerator accelerator)
    {
        _patches = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, PatchGrid>(
            Conv3dKernels.Patches);
    }

    /// <summary>output [rows, OutChannels] for the <paramref name="rows"/> = T'·H'·W' positions of <paramref name="grid"/>.</summary>
    public void Patches(AcceleratorStream stream, ArrayView<float> input, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> output, int rows, PatchGrid grid) =>
        _patches(stream, rows * grid.OutChannels, input, weight, bias, output, grid);
}
