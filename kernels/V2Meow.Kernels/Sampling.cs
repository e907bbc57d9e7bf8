using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace V2Meow.Kernels;

/// <summary>
/// The counter-based generator of SPEC §8.1 (weights-spec/reference/sampling.py): a SplitMix64 finaliser
/// over seed · G ⊕ stream · M1 ⊕ counter, all modulo 2^64. A draw depends only on (seed, stream, counter),
/// never on how many draws came before or on which thread makes it, so a seed repeats on every device.
/// </summary>
public static class CounterRng
{
    public const ulong Golden = 0x9E3779B97F4A7C15;   // SplitMix64 increment (2^64 / golden ratio)
    public const ulong Mix1 = 0xBF58476D1CE4E5B9;     // SplitMix64 finaliser multipliers
    public const ulong Mix2 = 0x94D049BB133111EB;

    public static ulong Finalise(ulong z)
    {
        z = (z ^ (z >> 30)) * Mix1;
        z = (z ^ (z >> 27)) * Mix2;
        return z ^ (z >> 31);
    }

    /// <summary>The top 24 bits of the hash: u = bits · 2^-24 is exact in f32 and f64.</summary>
    public static int Bits24(ulong seed, ulong stream, ulong counter) =>
        (int)(Finalise((seed * Golden) ^ (stream * Mix1) ^ counter) >> 40);

    public static double Uniform(ulong seed, ulong stream, ulong counter) => Bits24(seed, stream, counter) * (1.0 / 16777216.0);
}

/// <summary>
/// One sampling launch over rows of logits [rows, vocab]. Row r draws from ids [Lo, Hi) (the restriction
/// to the current token range, SPEC §7: nothing outside is read) and writes its id to
/// output[OutputOffset + r]; TopK = 0 keeps every id. Rows are groups of <see cref="Candidates"/> rows
/// (0: all rows one group), row r being candidate c = r mod Candidates of group g = r / Candidates, and it
/// draws u = uniform(Seed, StreamBase + c · StreamStep, CounterBase + g · CounterStep) (SPEC §8.1). A decode
/// step of B candidates is one group; stage 3's windows are groups; the goldens' rows are groups of one.
/// </summary>
public struct SamplingRequest
{
    public int Lo;
    public int Hi;
    public int TopK;
    public int OutputOffset;
    public int Candidates;
    public ulong Seed;
    public ulong StreamBase;
    public ulong StreamStep;
    public ulong CounterBase;
    public ulong CounterStep;

    public readonly int Window => Hi - Lo;

    public readonly double Uniform(int row)
    {
        int group = Candidates > 0 ? row / Candidates : 0;
        int candidate = row - group * Candidates;
        return CounterRng.Uniform(Seed, StreamBase + (ulong)candidate * StreamStep, CounterBase + (ulong)group * CounterStep);
    }
}

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
    [Kernel(KernelGrouping.Explicit, NeedsFloat64 = true)]
    public static void SampleShared(ArrayView<float> logits, int vocab, double temperature, ArrayView<double> weights, ArrayView<int> output, SamplingRequest request) =>
        Sample<SharedMemoryReduction>(logits, vocab, temperature, weights, output, request);

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

    public Sampling(Accelerator accelerator, KernelGeometry geometry)
    {
        _accelerator = accelerator;
        _geometry = geometry;
        _sample = accelerator.LoadKernel<ArrayView<float>, int, double, ArrayView<double>, ArrayView<int>, SamplingRequest>(
            geometry.UseWarpShuffles ? SamplingKernels.SampleShuffle : SamplingKernels.SampleShared);
    }

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

    public void Dispose() => _weights?.Dispose();
}
