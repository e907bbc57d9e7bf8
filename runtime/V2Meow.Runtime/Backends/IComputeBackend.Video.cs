namespace V2Meow.Runtime.Backends;

/// <summary>How <see cref="IComputeBackend.PoolRows"/> combines each group of rows.</summary>
public enum RowPool
{
    /// <summary>The largest value of each column over the group (Hiera's query pooling, VMAS §6.2).</summary>
    Max,
    /// <summary>The float32 sum of each column in row order, divided by the group size (not multiplied by its reciprocal).</summary>
    Mean,
}

/// <summary>
/// The ops of the VMAs family (VMAS.md): the Hiera video encoder's patch embedding, row gathers and pools,
/// attention within windows and classifier-free guidance of logits. The EnCodec-style decoder's LSTM is a codec op
/// (<see cref="Lstm"/>).
/// </summary>
public partial interface IComputeBackend
{
    /// <summary>
    /// output [T'·H'·W', Co] = Conv3d(input [Ci, F, H, W]; weight [Co, Ci, kt, kh, kw], bias [Co]) with zero padding
    /// (VMAS §6.2, the patch embedding): row t·H'·W' + h·W' + w holds the Co channels of grid position (t, h, w),
    /// T' = ⌊(F + 2·padding.T − kt) / stride.T⌋ + 1 and H', W' likewise. The weight is an ordinary 5-D f32 tensor
    /// (a bundle's <c>patch_embed.weight</c> uploaded with its shape). A padded extent shorter than its kernel is
    /// an error, not an empty output. The output may not be the input.
    /// </summary>
    void Conv3dPatches(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, (int T, int H, int W) stride,
        (int T, int H, int W) padding, DeviceTensor output);

    /// <summary>
    /// output[r, :] = source[indices[r], :]: source [n, d], indices m ids in any shape, output [m, d]. Rows may
    /// repeat or be left out (Hiera's unroll and reroll orders, the position embedding's tables). Indices outside
    /// [0, n) must not reach a device: host indices pass <see cref="VideoChecks.RowIndexRange"/> first (the CPU
    /// backend also checks them itself); a kernel that meets one writes NaN to that row rather than read out of bounds.
    /// The output may not be the source.
    /// </summary>
    void GatherRows(DeviceTensor source, DeviceIntTensor indices, DeviceTensor output);

    /// <summary>
    /// output[r, c] = pool over a &lt; group of input[r·group + a, c]: input [n·group, d], output [n, d], per
    /// <paramref name="mode"/> (<see cref="RowPool.Mean"/>: the f32 sum in row order, then / group in f32). Rows to be
    /// pooled together must be consecutive; <see cref="GatherRows"/> puts them so. Both modes are exact functions of
    /// that order (NaN aside), so the CPU backend and CUDA give the same bits; OpenCL's f32 division may round within
    /// its 2.5-ulp allowance. The output may not be the input.
    /// </summary>
    void PoolRows(DeviceTensor input, int group, RowPool mode, DeviceTensor output);

    /// <summary>
    /// Attention within windows (VMAS §6.2, Hiera's mask units): q and output [W·nq, inner], k and v [W·nk, inner]
    /// with nq = <paramref name="queryWindow"/> and nk = <paramref name="keyWindow"/>; the nq consecutive query
    /// rows of window w attend to the nk consecutive key rows of window w, softmax(Scale·q·k)·v per head, no mask,
    /// no bias. One window is ordinary global attention. The output may be q (each row and head reads its query
    /// before writing that slice), not k or v.
    /// </summary>
    void WindowedAttention(DeviceTensor q, DeviceTensor k, DeviceTensor v, DeviceTensor output, AttentionHeads heads,
        int queryWindow, int keyWindow);

    /// <summary>
    /// output = u + scale·(c − u) element-wise in float32, evaluated as written: the difference, then the product,
    /// then the sum, each rounded, none fused (VMAS §6.4, classifier-free guidance of the logits; c =
    /// <paramref name="conditioned"/>, u = <paramref name="unconditioned"/>, all three the same length). The CPU
    /// backend and CUDA round every step; an OpenCL compiler may fuse the product into the sum (an ulp of the product).
    /// The output may be either input.
    /// </summary>
    void Guidance(DeviceTensor conditioned, DeviceTensor unconditioned, float scale, DeviceTensor output);
}

/// <summary>Shape and range checks of the video-family ops, shared so both backends reject a bad call alike.</summary>
internal static class VideoChecks
{
    /// <summary>The output extent of a padded, strided window along one axis; the caller has checked it is ≥ 1.</summary>
    public static int OutputExtent(int input, int kernel, int stride, int padding) => (input + 2 * padding - kernel) / stride + 1;

    /// <summary>Checks the Conv3dPatches call; returns the input, kernel and output extents.</summary>
    public static Conv3dShape Conv3d(DeviceTensor input, DeviceTensor weight, DeviceTensor bias,
        (int T, int H, int W) stride, (int T, int H, int W) padding, DeviceTensor output)
    {
        if (weight.Shape.Length != 5)
            throw new ArgumentException($"conv3d patches: weight must be [out, in, kt, kh, kw], found {weight.ShapeText}");
        int co = weight.Shape[0], ci = weight.Shape[1], kt = weight.Shape[2], kh = weight.Shape[3], kw = weight.Shape[4];
        if (kt < 1 || kh < 1 || kw < 1)
            throw new ArgumentException($"conv3d patches: weight {weight.ShapeText} has an empty kernel");
        if (stride.T < 1 || stride.H < 1 || stride.W < 1)
            throw new ArgumentException($"conv3d patches: stride {stride} must be >= 1 on every axis", nameof(stride));
        if (padding.T < 0 || padding.H < 0 || padding.W < 0)
            throw new ArgumentException($"conv3d patches: padding {padding} must be >= 0 on every axis", nameof(padding));
        if (input.Shape.Length != 4 || input.Shape[0] != ci)
            throw new ArgumentException($"conv3d patches: input must be [{ci}, frames, height, width] for weight {weight.ShapeText}, found {input.ShapeText}");
        int f = input.Shape[1], h = input.Shape[2], w = input.Shape[3];
        if ((long)f + 2L * padding.T < kt || (long)h + 2L * padding.H < kh || (long)w + 2L * padding.W < kw)
            throw new ArgumentException($"conv3d patches: input {input.ShapeText} padded by {padding} is smaller than the kernel ({kt}, {kh}, {kw})");
        int ot = OutputExtent(f, kt, stride.T, padding.T), oh = OutputExtent(h, kh, stride.H, padding.H), ow = OutputExtent(w, kw, stride.W, padding.W);
        Expect(bias, "conv3d patches: bias", co);
        Expect(output, "conv3d patches: output", checked(ot * oh * ow), co);
        if (ReferenceEquals(input, output))
            throw new ArgumentException("conv3d patches: output must not be the input tensor");
        return new Conv3dShape(ci, f, h, w, co, kt, kh, kw, stride, padding, ot, oh, ow);
    }

    /// <summary>Checks the GatherRows call; returns (n, d, m).</summary>
    public static (int SourceRows, int Columns, int Rows) Gather(DeviceTensor source, DeviceIntTensor indices, DeviceTensor output)
    {
        if (source.Shape.Length != 2)
            throw new ArgumentException($"gather rows: source must be [rows, columns], found {source.ShapeText}");
        int n = source.Shape[0], d = source.Shape[1], m = indices.Length;
        Expect(output, $"gather rows: output for {m} indices {indices.ShapeText}", m, d);
        if (ReferenceEquals(source, output))
            throw new ArgumentException("gather rows: output must not be the source tensor");
        return (n, d, m);
    }

    /// <summary>
    /// Every index in [0, <paramref name="rows"/>), naming the first that is not. Host indices are checked here before
    /// they reach a device; a kernel cannot throw. <paramref name="what"/> starts the message.
    /// </summary>
    public static void RowIndexRange(ReadOnlySpan<int> indices, int rows, string what = "gather rows")
    {
        for (int r = 0; r < indices.Length; r++)
            if ((uint)indices[r] >= (uint)rows)
                throw new ArgumentException($"{what}: index {r} is {indices[r]}, outside the source's {rows} rows", nameof(indices));
    }

    /// <summary>Checks the PoolRows call; returns (n, d).</summary>
    public static (int Rows, int Columns) Pool(DeviceTensor input, int group, RowPool mode, DeviceTensor output)
    {
        if (mode is not (RowPool.Max or RowPool.Mean))
            throw new ArgumentException($"pool rows: unknown mode {mode}", nameof(mode));
        if (group < 1) throw new ArgumentException($"pool rows: group {group} must be >= 1", nameof(group));
        if (input.Shape.Length != 2 || input.Shape[0] % group != 0)
            throw new ArgumentException($"pool rows: input must be [rows, columns] with rows a multiple of the group {group}, found {input.ShapeText}");
        int n = input.Shape[0] / group, d = input.Shape[1];
        Expect(output, $"pool rows: output of groups of {group}", n, d);
        if (ReferenceEquals(input, output))
            throw new ArgumentException("pool rows: output must not be the input tensor");
        return (n, d);
    }

    /// <summary>Checks the WindowedAttention call; returns the number of windows.</summary>
    public static int Windowed(DeviceTensor q, DeviceTensor k, DeviceTensor v, DeviceTensor output, AttentionHeads heads,
        int queryWindow, int keyWindow)
    {
        if (heads.Heads < 1 || heads.HeadDim < 1)
            throw new ArgumentException($"windowed attention: {heads.Heads} heads of {heads.HeadDim} columns", nameof(heads));
        foreach (var (t, role) in new[] { (q, "q"), (k, "k"), (v, "v"), (output, "output") })
            if (t.Shape.Length < 1 || t.Columns != heads.Inner)
                throw new ArgumentException($"windowed attention: {role} {t.ShapeText} must have {heads.Heads} heads × {heads.HeadDim} = {heads.Inner} columns");
        if (queryWindow < 1 || keyWindow < 1)
            throw new ArgumentException($"windowed attention: windows of {queryWindow} queries and {keyWindow} keys must both be >= 1");
        int queries = q.Rows;
        if (queries % queryWindow != 0)
            throw new ArgumentException($"windowed attention: q {q.ShapeText} is not whole windows of {queryWindow} rows");
        int windows = queries / queryWindow;
        if (k.Rows != (long)windows * keyWindow || v.Rows != k.Rows)
            throw new ArgumentException($"windowed attention: k {k.ShapeText} and v {v.ShapeText} must be [{(long)windows * keyWindow}, {heads.Inner}]: {windows} windows of {keyWindow} keys");
        if (output.Rows != queries)
            throw new ArgumentException($"windowed attention: output {output.ShapeText} must have q's {queries} rows");
        if (ReferenceEquals(output, k) || ReferenceEquals(output, v))
            throw new ArgumentException("windowed attention: output must not be the k or v tensor");
        return windows;
    }

    /// <summary>Checks the Guidance call.</summary>
    public static void Guidance(DeviceTensor conditioned, DeviceTensor unconditioned, DeviceTensor output)
    {
        TensorChecks.SameLength(conditioned, unconditioned, "guidance");
        TensorChecks.SameLength(conditioned, output, "guidance");
    }

    static void Expect(DeviceTensor tensor, string role, params int[] shape)
    {
        if (!tensor.Shape.AsSpan().SequenceEqual(shape))
            throw new ArgumentException($"{role} must be [{string.Join(", ", shape)}], found {tensor.ShapeText}");
    }
}

/// <summary>The extents of a checked Conv3dPatches call: input [Ci, F, H, W], kernel (kt, kh, kw), output grid (T', H', W').</summary>
internal readonly record struct Conv3dShape(int InChannels, int Frames, int Height, int Width, int OutChannels,
    int KernelT, int KernelH, int KernelW, (int T, int H, int W) Stride, (int T, int H, int W) Padding,
    int OutT, int OutH, int OutW)
{
    /// <summary>Output rows, T'·H'·W'.</summary>
    public int Rows => OutT * OutH * OutW;
    /// <summary>Taps of one output channel, Ci·kt·kh·kw: the length of its dot product.</summary>
    public int Taps => InChannels * KernelT * KernelH * KernelW;
}
