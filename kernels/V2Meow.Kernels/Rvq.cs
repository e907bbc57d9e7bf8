using ILGPU;
using ILGPU.Runtime;

namespace V2Meow.Kernels;

/// <summary>
/// Residual vector quantizer lookup (SPEC §9.1): z[d, t] = Σ_{q &lt; levels} codebooks[q, codes[q, t], d],
/// written channels first ([D, T]) as the decoder's convolutions read it.
/// </summary>
public static class RvqKernels
{
    /// <summary>One thread per (frame, dim); levels summed in order, as the reference does.</summary>
    [Kernel(KernelGrouping.Implicit)]
    public static void Lookup(
        Index2D index,
        ArrayView<int> codes,
        ArrayView<float> codebooks,
        ArrayView<float> latent,
        int levels,
        int codebookSize,
        int dim,
        int frames)
    {
        int t = index.X, d = index.Y;
        float acc = 0f;
        for (int q = 0; q < levels; q++)
            acc += codebooks[(q * codebookSize + codes[q * frames + t]) * dim + d];
        latent[d * frames + t] = acc;
    }
}

/// <summary>Loads the RVQ kernel once per accelerator.</summary>
public sealed class Rvq
{
    readonly Action<AcceleratorStream, Index2D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, int, int> _lookup;

    /// <summary>Compiles the RVQ lookup kernel for <paramref name="accelerator"/>.</summary>
    public Rvq(Accelerator accelerator)
    {
        _lookup = accelerator.LoadAutoGroupedKernel<Index2D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, int, int>(
            RvqKernels.Lookup);
    }

    /// <summary>
    /// latent [dim, frames] from codes [levels, frames] and codebooks [≥ levels, codebookSize, dim]. The codes
    /// must already be checked to lie in [0, codebookSize): the kernel indexes with them unchecked.
    /// </summary>
    public void Lookup(AcceleratorStream stream, ArrayView<int> codes, ArrayView<float> codebooks, ArrayView<float> latent,
        int levels, int codebookSize, int dim, int frames)
    {
        _lookup(stream, new Index2D(frames, dim), codes, codebooks, latent, levels, codebookSize, dim, frames);
    }
}
