using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using V2Meow.Numerics;

namespace V2Meow.Kernels;

/// <summary>
/// Temperature sampling on the device, one group per row, exactly as SPEC §8.2: T = 0 is argmax (lowest
/// index on ties); otherwise weights exp((l − max) / T) in f64, an inclusive running sum in index order and
/// the first index whose sum exceeds u · total. The group finds the max and the weights in parallel; one
/// thread then runs the sums in index order, because that order fixes the f64 rounding the reference has.
/// Top-k keeps the k largest logits, ties to the lower index (a stable sort on −logit).
/// f64 is required: CUDA has it, OpenCL through cl_khr_fp64.
/// </summary>
public static class SamplingKernels
{
    /// <summary>Samples one row per group, reducing in shared memory.</summary>
    [Kernel(KernelGrouping.Explicit, NeedsFloat64 = true)]
    public static void SampleShared(ArrayView<float> logits, int vocab, double temperature, ArrayView<double> weights, ArrayView<int> output, SamplingRequest request) =>
        Sample<SharedMemoryReduction>(logits, vocab, temperature, weights, output, request);

    /// <summary>Samples one row per group, reducing with warp shuffles (CUDA).</summary>
    [Kernel(KernelGrouping.Explicit, NeedsWarpShuffles = true, NeedsFloat64 = true)]
    public static void SampleShuffle(ArrayView<float> logits, int vocab, double temperature, ArrayView<double> weights, ArrayView<int> output, SamplingRequest request) =>
        Sample<WarpShuffleReduction>(logits, vocab, temperature, weights, output, request);

    /// <summary><paramref name="weights"/> holds one f64 per (row, id in the window): [rows, Hi − Lo].</summary>
    static void Sample<TReduction>(ArrayView<float> logits, int vocab, double temperature, ArrayView<double> weights, ArrayView<int> output, SamplingRequest request)
        where TReduction : struct, IGroupReduction
    {
        var scratch = SharedMemory.GetDynamic<float>();
        int row = Grid.IdxX, lane = Group.IdxX, threads = Group.DimX;
        int window = request.Window, rowStart = row * vocab + request.Lo, weightStart = row * window;

        float localMax = float.MinValue;
        for (int i = lane; i < window; i += threads) localMax = IntrinsicMath.Max(localMax, logits[rowStart + i]);
        float max = default(TReduction).Max(localMax, scratch);

        if (temperature == 0.0)
        {
            // Lowest index holding the max, as a max over −index (indices are exact in f32 below 2^24).
            float lowest = float.MinValue;
            for (int i = lane; i < window; i += threads)
                if (logits[rowStart + i] == max) lowest = IntrinsicMath.Max(lowest, -(float)i);
            float first = -default(TReduction).Max(lowest, scratch);
            if (lane == 0) output[request.OutputOffset + row] = request.Lo + (int)first;
            return;
        }

        bool topK = request.TopK > 0 && request.TopK < window;
        for (int i = lane; i < window; i += threads)
        {
            float logit = logits[rowStart + i];
            bool keep = true;
            if (topK)
            {
                // Rank in a stable descending sort: larger logits, and equal ones at lower indices, come first.
                int rank = 0;
                for (int j = 0; j < window; j++)
                {
                    float other = logits[rowStart + j];
                    if (other > logit || (other == logit && j < i)) rank++;
                }
                keep = rank < request.TopK;
            }
            weights[weightStart + i] = keep ? XMath.Exp(((double)logit - max) / temperature) : 0.0;
        }
        Group.Barrier();

        if (lane == 0)
        {
            double total = 0.0;
            for (int i = 0; i < window; i++) total += weights[weightStart + i];
            double threshold = request.Uniform(row) * total;
            double running = 0.0;
            int pick = window - 1;
            for (int i = 0; i < window; i++)
            {
                running += weights[weightStart + i];
                if (running > threshold)
                {
                    pick = i;
                    break;
                }
            }
            output[request.OutputOffset + row] = request.Lo + pick;
        }
    }
}

/// <summary>Loads the sampling kernel once per accelerator and owns its f64 weight scratch.</summary>
public sealed class Sampling : IDisposable
{
    readonly Accelerator _accelerator;
    readonly KernelGeometry _geometry;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, int, double, ArrayView<double>, ArrayView<int>, SamplingRequest> _sample;
    MemoryBuffer1D<double, Stride1D.Dense>? _weights;

    /// <summary>Compiles the sampling kernel for <paramref name="accelerator"/>; the f64 scratch is allocated on first use.</summary>
    public Sampling(Accelerator accelerator, KernelGeometry geometry)
    {
        _accelerator = accelerator;
        _geometry = geometry;
        _sample = accelerator.LoadKernel<ArrayView<float>, int, double, ArrayView<double>, ArrayView<int>, SamplingRequest>(
            geometry.UseWarpShuffles ? SamplingKernels.SampleShuffle : SamplingKernels.SampleShared);
    }

    /// <summary>
    /// Draws one id per row of <paramref name="logits"/> [rows, vocab] into output, as <paramref name="request"/> says (SPEC §8.2); grows
    /// the scratch as needed.
    /// </summary>
    public void Sample(AcceleratorStream stream, ArrayView<float> logits, int rows, int vocab, double temperature, ArrayView<int> output, SamplingRequest request)
    {
        long needed = Math.Max(1L, (long)rows * request.Window);
        if (_weights is null || _weights.Length < needed)
        {
            // Growing waits for launches still reading the old scratch.
            stream.Synchronize();
            _weights?.Dispose();
            _weights = _accelerator.Allocate1D<double>(needed);
        }
        int threads = _geometry.GroupSize;
        var config = new KernelConfig(new Index1D(rows), new Index1D(threads), SharedMemoryConfig.RequestDynamic<float>(threads));
        _sample(stream, config, logits, vocab, temperature, _weights.View, output, request);
    }

    /// <summary>Frees the f64 weight scratch; call after the stream has synchronised.</summary>
    public void Dispose() => _weights?.Dispose();
}
