namespace V2Meow.Runtime.Backends;

/// <summary>Where a length-keeping convolution puts its zero padding (SPEC §9.2).</summary>
public enum ConvPadding
{
    /// <summary>All (k − 1)·δ zeros on the left: output t sees inputs up to t only.</summary>
    Causal,
    /// <summary>⌊(k − 1)·δ / 2⌋ zeros on the left, the rest on the right.</summary>
    Centred,
}

/// <summary>
/// The codec's ops: RVQ lookup and search, the SoundStream convolutions and activations (SPEC §9), the encoder's
/// strided convolution (SPEC §9.3), the EnCodec-style LSTM (VMAS.md §9).
/// </summary>
public partial interface IComputeBackend
{
    /// <summary>
    /// output[d, t] = Σ_{q &lt; levels} codebooks[q, codes[q, t], d]: codebooks [Q, K, D], codes [levels, T]
    /// row-major with 1 ≤ levels ≤ Q (the first levels; fewer give a coarser latent), output [D, T]. Codes
    /// come as a device tensor like every other op's ids; too many levels or mismatched shapes are an
    /// <see cref="ArgumentException"/> naming them, and codes outside [0, K) must not reach a device (host codes
    /// pass <see cref="CodecChecks.RvqCodeRange"/> first; the CPU backend also checks them itself).
    /// </summary>
    void RvqLookup(DeviceTensor codebooks, DeviceIntTensor codes, int levels, DeviceTensor output);

    /// <summary>
    /// codes [levels, T] = the nearest codes of latent [D, T], level by level on the residual (SPEC §9.3):
    /// codebooks [Q, K, D], 1 ≤ levels ≤ Q. At each level and frame, dist[k] = Σ_{d = 0 … D−1} (r[d] − c[k, d])²
    /// summed in that order from 0, each difference, square and sum rounded to float32 and none fused; the code is
    /// the k of the smallest dist, the lowest k on a tie; then r = r − c[code] in float32. Every step is fixed, so
    /// the CPU backend, CUDA and the reference choose the same codes for the same latent; an OpenCL compiler may
    /// fuse a square into its sum (a near-tie may then go the other way). A NaN in the latent gives some code in
    /// [0, K). The latent is left as it was.
    /// </summary>
    void RvqEncode(DeviceTensor codebooks, DeviceTensor latent, int levels, DeviceIntTensor codes);

    /// <summary>
    /// output [Co, L] = Conv(input [Ci, L]; weight [Co, Ci, k], bias [Co], dilation) with the length kept by
    /// <paramref name="padding"/> (SPEC §9.2), plus <paramref name="residual"/> [Co, L] when given. The
    /// residual may be the output tensor itself; the input may not.
    /// </summary>
    void Conv1d(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
        int dilation, ConvPadding padding, DeviceTensor? residual = null);

    /// <summary>
    /// output [Co, T·s] = Up(input [Ci, T]; weight [Ci, Co, k], bias [Co], stride s): the transposed
    /// convolution trimmed to start 0 (causal) or ⌊s/2⌋ (centred), SPEC §9.2. The codec's k is 2s.
    /// </summary>
    void ConvTranspose1d(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
        int stride, ConvPadding padding);

    /// <summary>
    /// output [Co, L/s] = Down(input [Ci, L]; weight [Co, Ci, k], bias [Co], stride s), the encoder's strided
    /// convolution (SPEC §9.3): y[o, t] = bias[o] + Σ_i Σ_{j&lt;k} W[o, i, j] · xp[i, t·s + j], xp the input with
    /// P_left zeros on the left and P_total − P_left on the right, P_total = k − s; causal P_left = P_total,
    /// centred ⌊P_total / 2⌋. L must be a multiple of s and k at least s (the codec's k is 2s). The output may not
    /// be the input.
    /// </summary>
    void StridedConv1d(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
        int stride, ConvPadding padding);

    /// <summary>output = ELU(input) (α = 1), element-wise; output may be input.</summary>
    void Elu(DeviceTensor input, DeviceTensor output);

    /// <summary>
    /// output[c, t] = x + sin²(α_c·x) / (α_c + 1e-9) with x = input[c, t] (Snake, SPEC §9.1): input and output
    /// [C, L], alpha [C]; output may be input.
    /// </summary>
    void Snake(DeviceTensor input, DeviceTensor alpha, DeviceTensor output);

    /// <summary>output = tanh(input), element-wise; output may be input.</summary>
    void Tanh(DeviceTensor input, DeviceTensor output);

    /// <summary>
    /// One LSTM layer over time (VMAS.md §9, the encodec codec kind; PyTorch's LSTM), channels first as the codec's
    /// tensors are: inputGates [4C, T] = W_ih·x + b_ih, already computed (a kernel-1 <see cref="Conv1d"/>), weightHh
    /// [4C, C], biasHh [4C], output [C, T] with output[:, t] = h_t. From h = c = 0, for t = 0 … T − 1, in float32:
    /// r = W_hh·h_{t−1} + b_hh (the dot product in the backend's order, then the bias), g = inputGates[:, t] + r,
    /// split into gates i, f, g, o of C rows each in that order; c_t = σ(f)·c_{t−1} + σ(i)·tanh(g) (both products,
    /// then their sum; a GPU compiler may fuse the second product into the sum); h_t = σ(o)·tanh(c_t),
    /// σ(x) = 1 / (1 + exp(−x)). A layer over layer l's output is a kernel-1 Conv1d then this op again; the skip
    /// x + LSTM(x) is <see cref="Add"/>. The output may not be inputGates.
    /// </summary>
    void Lstm(DeviceTensor inputGates, DeviceTensor weightHh, DeviceTensor biasHh, DeviceTensor output);
}

/// <summary>Shape and range checks of the codec ops, shared so both backends reject a bad call alike.</summary>
internal static class CodecChecks
{
    public static int PadLeft(int kernel, int dilation, ConvPadding padding)
    {
        int total = (kernel - 1) * dilation;
        return padding == ConvPadding.Causal ? total : total / 2;
    }

    /// <summary>SPEC §9.2: the causal window starts at sample 0, the centred one at ⌊s/2⌋.</summary>
    public static int TransposedStart(int stride, ConvPadding padding) => padding == ConvPadding.Causal ? 0 : stride / 2;

    /// <summary>Checks the RVQ call; returns (Q, K, D, T).</summary>
    public static (int Levels, int CodebookSize, int Dim, int Frames) Rvq(
        DeviceTensor codebooks, DeviceIntTensor codes, int levels, DeviceTensor output)
    {
        if (codebooks.Shape.Length != 3)
            throw new ArgumentException($"rvq: codebooks must be [levels, codebook_size, dim], found {codebooks.ShapeText}");
        int q = codebooks.Shape[0], k = codebooks.Shape[1], d = codebooks.Shape[2];
        if (levels < 1 || levels > q)
            throw new ArgumentException($"rvq: {levels} levels of codes given; the codec has {q} (expected 1 to {q})", nameof(levels));
        if (output.Shape.Length != 2 || output.Shape[0] != d)
            throw new ArgumentException($"rvq: output must be [{d}, frames], found {output.ShapeText}");
        int frames = output.Shape[1];
        if (codes.Length != (long)levels * frames)
            throw new ArgumentException($"rvq: {codes.Length} codes {codes.ShapeText} for {levels} levels × {frames} frames (expected {(long)levels * frames})", nameof(codes));
        return (q, k, d, frames);
    }

    /// <summary>
    /// Every code in [0, K), naming the first that is not by level and frame. Host codes are checked here
    /// before they reach a device (<see cref="Codecs.Seanet.SeanetDecoder"/>); a device kernel cannot throw, so
    /// codes already on a device are trusted as embedding ids are. <paramref name="what"/> starts the message.
    /// </summary>
    public static void RvqCodeRange(ReadOnlySpan<int> codes, int levels, int frames, int codebookSize, string what = "rvq")
    {
        for (int level = 0; level < levels; level++)
            for (int t = 0; t < frames; t++)
            {
                int code = codes[level * frames + t];
                if ((uint)code >= (uint)codebookSize)
                    throw new ArgumentException($"{what}: level {level}, frame {t}: code {code} is outside [0, {codebookSize})", nameof(codes));
            }
    }

    /// <summary>SPEC §9.3: the zeros before a strided convolution's input, of P_total = k − s.</summary>
    public static int StridedPadLeft(int kernel, int stride, ConvPadding padding)
    {
        int total = kernel - stride;
        return padding == ConvPadding.Causal ? total : total / 2;
    }

    /// <summary>Checks the RVQ search call; returns (Q, K, D, T).</summary>
    public static (int Levels, int CodebookSize, int Dim, int Frames) RvqEncode(
        DeviceTensor codebooks, DeviceTensor latent, int levels, DeviceIntTensor codes)
    {
        if (codebooks.Shape.Length != 3)
            throw new ArgumentException($"rvq_encode: codebooks must be [levels, codebook_size, dim], found {codebooks.ShapeText}");
        int q = codebooks.Shape[0], k = codebooks.Shape[1], d = codebooks.Shape[2];
        if (levels < 1 || levels > q)
            throw new ArgumentException($"rvq_encode: {levels} levels asked for; the codec has {q} (expected 1 to {q})", nameof(levels));
        if (k < 1) throw new ArgumentException($"rvq_encode: codebooks {codebooks.ShapeText} hold no codes");
        if (latent.Shape.Length != 2 || latent.Shape[0] != d)
            throw new ArgumentException($"rvq_encode: latent must be [{d}, frames] for codebooks {codebooks.ShapeText}, found {latent.ShapeText}");
        int frames = latent.Shape[1];
        if (!codes.Shape.AsSpan().SequenceEqual([levels, frames]))
            throw new ArgumentException($"rvq_encode: codes must be [{levels}, {frames}], found {codes.ShapeText}", nameof(codes));
        return (q, k, d, frames);
    }

    /// <summary>Checks the Down call; returns (Ci, Co, L, k), L the input length.</summary>
    public static (int InChannels, int OutChannels, int Length, int Kernel) StridedConv(
        DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output, int stride)
    {
        if (weight.Shape.Length != 3)
            throw new ArgumentException($"strided_conv1d: weight must be [out, in, k], found {weight.ShapeText}");
        int co = weight.Shape[0], ci = weight.Shape[1], k = weight.Shape[2];
        if (stride < 1) throw new ArgumentException($"strided_conv1d: stride {stride} must be >= 1", nameof(stride));
        if (k < stride) throw new ArgumentException($"strided_conv1d: weight {weight.ShapeText} has kernel size {k}, less than the stride {stride}");
        if (input.Shape.Length != 2 || input.Shape[0] != ci)
            throw new ArgumentException($"strided_conv1d: input must be [{ci}, length] for weight {weight.ShapeText}, found {input.ShapeText}");
        int length = input.Shape[1];
        if (length % stride != 0)
            throw new ArgumentException($"strided_conv1d: input length {length} is not a multiple of the stride {stride}");
        Expect(output, "strided_conv1d: output", co, length / stride);
        Expect(bias, "strided_conv1d: bias", co);
        if (ReferenceEquals(input, output))
            throw new ArgumentException("strided_conv1d: output must not be the input tensor");
        return (ci, co, length, k);
    }

    /// <summary>Checks the Conv call; returns (Ci, Co, L, k).</summary>
    public static (int InChannels, int OutChannels, int Length, int Kernel) Conv(
        DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output, int dilation, DeviceTensor? residual)
    {
        if (weight.Shape.Length != 3)
            throw new ArgumentException($"conv1d: weight must be [out, in, k], found {weight.ShapeText}");
        int co = weight.Shape[0], ci = weight.Shape[1], k = weight.Shape[2];
        if (k < 1) throw new ArgumentException($"conv1d: weight {weight.ShapeText} has kernel size 0");
        if (dilation < 1) throw new ArgumentException($"conv1d: dilation {dilation} must be >= 1", nameof(dilation));
        if (input.Shape.Length != 2 || input.Shape[0] != ci)
            throw new ArgumentException($"conv1d: input must be [{ci}, length] for weight {weight.ShapeText}, found {input.ShapeText}");
        int length = input.Shape[1];
        Expect(output, "conv1d: output", co, length);
        Expect(bias, "conv1d: bias", co);
        if (residual is not null) Expect(residual, "conv1d: residual", co, length);
        if (ReferenceEquals(input, output))
            throw new ArgumentException("conv1d: output must not be the input tensor");
        return (ci, co, length, k);
    }

    /// <summary>Checks the Up call; returns (Ci, Co, T, k).</summary>
    public static (int InChannels, int OutChannels, int Frames, int Kernel) ConvTranspose(
        DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output, int stride)
    {
        if (weight.Shape.Length != 3)
            throw new ArgumentException($"conv_transpose1d: weight must be [in, out, k], found {weight.ShapeText}");
        int ci = weight.Shape[0], co = weight.Shape[1], k = weight.Shape[2];
        if (k < 1) throw new ArgumentException($"conv_transpose1d: weight {weight.ShapeText} has kernel size 0");
        if (stride < 1) throw new ArgumentException($"conv_transpose1d: stride {stride} must be >= 1", nameof(stride));
        if (input.Shape.Length != 2 || input.Shape[0] != ci)
            throw new ArgumentException($"conv_transpose1d: input must be [{ci}, frames] for weight {weight.ShapeText}, found {input.ShapeText}");
        int frames = input.Shape[1];
        Expect(output, "conv_transpose1d: output", co, checked(frames * stride));
        Expect(bias, "conv_transpose1d: bias", co);
        if (ReferenceEquals(input, output))
            throw new ArgumentException("conv_transpose1d: output must not be the input tensor");
        return (ci, co, frames, k);
    }

    /// <summary>Checks the Snake call; returns (C, L).</summary>
    public static (int Channels, int Length) Snake(DeviceTensor input, DeviceTensor alpha, DeviceTensor output)
    {
        if (input.Shape.Length != 2)
            throw new ArgumentException($"snake: input must be [channels, length], found {input.ShapeText}");
        int channels = input.Shape[0], length = input.Shape[1];
        Expect(alpha, "snake: alpha", channels);
        Expect(output, "snake: output", channels, length);
        return (channels, length);
    }

    /// <summary>Checks the Lstm call; returns (C, T).</summary>
    public static (int Channels, int Frames) Lstm(DeviceTensor inputGates, DeviceTensor weightHh, DeviceTensor biasHh, DeviceTensor output)
    {
        if (weightHh.Shape.Length != 2 || weightHh.Shape[0] != 4 * weightHh.Shape[1])
            throw new ArgumentException($"lstm: weight_hh must be [4·channels, channels], found {weightHh.ShapeText}");
        int c = weightHh.Shape[1];
        if (inputGates.Shape.Length != 2 || inputGates.Shape[0] != 4 * c)
            throw new ArgumentException($"lstm: input gates must be [{4 * c}, frames] for weight_hh {weightHh.ShapeText}, found {inputGates.ShapeText}");
        int frames = inputGates.Shape[1];
        Expect(biasHh, "lstm: bias_hh", 4 * c);
        Expect(output, "lstm: output", c, frames);
        if (ReferenceEquals(inputGates, output))
            throw new ArgumentException("lstm: output must not be the input gates tensor");
        return (c, frames);
    }

    static void Expect(DeviceTensor tensor, string role, params int[] shape)
    {
        if (!tensor.Shape.AsSpan().SequenceEqual(shape))
            throw new ArgumentException($"{role} must be [{string.Join(", ", shape)}], found {tensor.ShapeText}");
    }
}
