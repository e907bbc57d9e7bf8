using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace V2Meow.Kernels;

/// <summary>
/// Residual vector quantizer lookup (SPEC §9.1): z[d, t] = Σ_{q &lt; levels} codebooks[q, codes[q, t], d],
/// written channels first ([D, T]) as the decoder's convolutions read it; and its inverse, the search for the
/// nearest code of each level (SPEC §9.3).
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

    /// <summary>
    /// The nearest codes of the latent [D, T], level by level (SPEC §9.3): one group per frame, the group's threads
    /// over the codes, each keeping its smallest distance (strict less over increasing codes, so the lower code on a
    /// tie), then a tree in shared memory that keeps the smaller distance or, equal, the lower code. A thread with no
    /// code holds (+∞, K), which never wins, so the code is always in [0, K). The residual [D, T] starts as a copy of
    /// the latent and loses each chosen code; the dynamic shared memory holds 2 × group floats (distances, then
    /// codes, exact as floats up to 2^24).
    /// </summary>
    [Kernel(KernelGrouping.Explicit)]
    public static void Encode(
        ArrayView<float> latent,
        ArrayView<float> codebooks,
        ArrayView<float> residual,
        ArrayView<int> codes,
        int levels,
        int codebookSize,
        int dim,
        int frames)
    {
        var scratch = SharedMemory.GetDynamic<float>();
        int t = Grid.IdxX, lane = Group.IdxX, group = Group.DimX;
        for (int j = lane; j < dim; j += group) residual[j * frames + t] = latent[j * frames + t];
        Group.Barrier();
        for (int q = 0; q < levels; q++)
        {
            int level = q * codebookSize;
            float best = float.PositiveInfinity;
            int bestCode = lane < codebookSize ? lane : codebookSize;
            for (int k = lane; k < codebookSize; k += group)
            {
                int row = (level + k) * dim;
                float acc = 0f;
                for (int j = 0; j < dim; j++) acc = AddSquare(acc, residual[j * frames + t] - codebooks[row + j]);
                if (acc < best)
                {
                    best = acc;
                    bestCode = k;
                }
            }
            scratch[lane] = best;
            scratch[group + lane] = bestCode;
            Group.Barrier();
            for (int offset = group / 2; offset > 0; offset /= 2)
            {
                if (lane < offset)
                {
                    float other = scratch[lane + offset], otherCode = scratch[group + lane + offset];
                    if (other < scratch[lane] || (other == scratch[lane] && otherCode < scratch[group + lane]))
                    {
                        scratch[lane] = other;
                        scratch[group + lane] = otherCode;
                    }
                }
                Group.Barrier();
            }
            int code = (int)scratch[group];
            if (lane == 0) codes[q * frames + t] = code;
            int chosen = (level + code) * dim;
            for (int j = lane; j < dim; j += group) residual[j * frames + t] -= codebooks[chosen + j];
            Group.Barrier();
        }
    }

    /// <summary>
    /// acc + e·e with the square rounded before the sum. On CUDA both are inline PTX with an explicit rounding mode:
    /// a plain mul.f32 feeding an add.f32 may be contracted into one fma by ptxas. OpenCL C offers no such handle
    /// from ILGPU, so there the two may fuse.
    /// </summary>
    static float AddSquare(float acc, float e)
    {
        float sum;
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("mul.rn.f32 %0, %1, %2;", out float square, e, e);
            CudaAsm.Emit("add.rn.f32 %0, %1, %2;", out sum, acc, square);
        }
        else
        {
            float square = e * e;
            sum = acc + square;
        }
        return sum;
    }
}

/// <summary>Loads the RVQ kernel once per accelerator.</summary>
public sealed class Rvq
{
    readonly Action<AcceleratorStream, Index2D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, int, int> _lookup;

    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int> _encode;
    readonly int _group;

    /// <summary>Compiles the RVQ kernels for <paramref name="accelerator"/>; the search runs groups of <paramref name="groupSize"/> (a power of two).</summary>
    public Rvq(Accelerator accelerator, int groupSize)
    {
        _lookup = accelerator.LoadAutoGroupedKernel<Index2D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, int, int>(
            RvqKernels.Lookup);
        _encode = accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int>(
            RvqKernels.Encode);
        _group = groupSize;
    }

    /// <summary>
    /// codes [levels, frames] of latent [dim, frames] against codebooks [≥ levels, codebookSize, dim];
    /// <paramref name="residual"/> [dim, frames] is scratch the kernel overwrites.
    /// </summary>
    public void Encode(AcceleratorStream stream, ArrayView<float> latent, ArrayView<float> codebooks, ArrayView<float> residual,
        ArrayView<int> codes, int levels, int codebookSize, int dim, int frames)
    {
        var config = new KernelConfig(new Index1D(frames), new Index1D(_group), SharedMemoryConfig.RequestDynamic<float>(2 * _group));
        _encode(stream, config, latent, codebooks, residual, codes, levels, codebookSize, dim, frames);
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
