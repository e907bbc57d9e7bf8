using ILGPU;
using ILGPU.Runtime;

namespace V2Meow.Kernels;

/// <summary>
/// One LSTM layer of the EnCodec-style decoder (VMAS §9, PyTorch's LSTM), channels first: input gates [4C, T]
/// (W_ih·x + b_ih, computed before), W_hh [4C, C], b_hh [4C], output [C, T] holding h_t in column t. One launch
/// per time step; the recurrence reads h_{t−1} back from output column t − 1, so only the cell state needs a
/// buffer of its own.
/// </summary>
public static class LstmKernels
{
    /// <summary>Step <paramref name="t"/>, reducing in shared memory; launched by <see cref="Lstm.Run"/>.</summary>
    [Kernel(KernelGrouping.Explicit)]
    public static void StepShared(ArrayView<float> inputGates, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> cell,
        ArrayView<float> output, int channels, int frames, int t) =>
        Step<SharedMemoryReduction>(inputGates, weight, bias, cell, output, channels, frames, t);

    /// <summary>Step <paramref name="t"/>, reducing with warp shuffles (CUDA); launched by <see cref="Lstm.Run"/>.</summary>
    [Kernel(KernelGrouping.Explicit, NeedsWarpShuffles = true)]
    public static void StepShuffle(ArrayView<float> inputGates, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> cell,
        ArrayView<float> output, int channels, int frames, int t) =>
        Step<WarpShuffleReduction>(inputGates, weight, bias, cell, output, channels, frames, t);

    /// <summary>
    /// One group per channel j: its four gate rows (j, C + j, 2C + j, 3C + j) of W_hh·h_{t−1}, each thread a strided
    /// share of the C columns (neighbouring threads, neighbouring weights), summed across the group; then one thread
    /// updates the cell: r = dot + b_hh, g = input + r, c = σ(f)·c + σ(i)·tanh(g), h = σ(o)·tanh(c). Each group
    /// reads and writes only its own cell element; h_{t−1} was written by the previous launch. At t = 0 both
    /// states are zero and nothing is read.
    /// </summary>
    static void Step<TReduction>(ArrayView<float> inputGates, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> cell,
        ArrayView<float> output, int channels, int frames, int t)
        where TReduction : struct, IGroupReduction
    {
        var scratch = SharedMemory.GetDynamic<float>();
        int j = Grid.IdxX;
        float di = 0f, df = 0f, dg = 0f, dout = 0f;
        if (t > 0)
        {
            int row = j * channels, gate = channels * channels;
            for (int k = Group.IdxX; k < channels; k += Group.DimX)
            {
                float h = output[k * frames + t - 1];
                di += weight[row + k] * h;
                df += weight[gate + row + k] * h;
                dg += weight[2 * gate + row + k] * h;
                dout += weight[3 * gate + row + k] * h;
            }
        }
        di = default(TReduction).Sum(di, scratch);
        df = default(TReduction).Sum(df, scratch);
        dg = default(TReduction).Sum(dg, scratch);
        dout = default(TReduction).Sum(dout, scratch);
        if (Group.IdxX != 0) return;

        float gi = inputGates[j * frames + t] + (di + bias[j]);
        float gf = inputGates[(channels + j) * frames + t] + (df + bias[channels + j]);
        float gg = inputGates[(2 * channels + j) * frames + t] + (dg + bias[2 * channels + j]);
        float go = inputGates[(3 * channels + j) * frames + t] + (dout + bias[3 * channels + j]);
        float previous = t > 0 ? cell[j] : 0f;
        float forget = Sigmoid(gf) * previous;
        float write = Sigmoid(gi) * CodecActivationKernels.TanhOf(gg);
        float c = forget + write;
        cell[j] = c;
        output[j * frames + t] = Sigmoid(go) * CodecActivationKernels.TanhOf(c);
    }

    /// <summary>σ(x) = 1 / (1 + exp(−x)); exp overflows to +∞ for very negative x, which gives 0, as it should.</summary>
    static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));
}

/// <summary>Loads the LSTM step kernel once per accelerator; one group per channel, one launch per time step.</summary>
public sealed class Lstm
{
    readonly KernelGeometry _geometry;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, int, int, int> _step;

    /// <summary>Compiles the step kernel for <paramref name="accelerator"/>, shuffles or shared memory as <paramref name="geometry"/> says.</summary>
    public Lstm(Accelerator accelerator, KernelGeometry geometry)
    {
        _geometry = geometry;
        _step = accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(
            geometry.UseWarpShuffles ? LstmKernels.StepShuffle : LstmKernels.StepShared);
    }

    /// <summary>
    /// Queues the <paramref name="frames"/> steps on <paramref name="stream"/>. <paramref name="cell"/> [channels] is the
    /// caller's scratch for the cell state (no initial value needed); it must live until the stream has run them.
    /// </summary>
    public void Run(AcceleratorStream stream, ArrayView<float> inputGates, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> cell, ArrayView<float> output, int channels, int frames)
    {
        int group = _geometry.GroupSize;
        var config = new KernelConfig(new Index1D(channels), new Index1D(group), SharedMemoryConfig.RequestDynamic<float>(group));
        for (int t = 0; t < frames; t++) _step(stream, config, inputGates, weight, bias, cell, output, channels, frames, t);
    }
}
