using V2Meow.Loaders.Bundles.Vmas;
using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Runtime.Families.Vmas;

/// <summary>
/// VMAs' Hiera-style video encoder (VMAS.md §6.2): normalised frames [3, F, H, W] of one window → one
/// feature row per time step [T', d], the music decoder's cross-attention memory. Rows stay in (t, h, w)
/// order between blocks; mask-unit attention and query pooling gather the rows they group, using index
/// tables built once at load. Owns its weights on one backend.
/// </summary>
internal sealed class VideoEncoder : IDisposable
{
    readonly IComputeBackend _backend;
    readonly VmasConfig _config;
    readonly OwnedResources _owned = new();
    readonly DeviceTensor _patchWeight, _patchBias, _positions;
    readonly EncoderBlock[] _blocks;
    readonly DeviceTensor _normWeight, _normBias, _projBias;
    readonly WeightTensor _proj;
    readonly float _eps;

    /// <summary>The grids of every stage (VMAS.md §3.3).</summary>
    public VmasGrids Grids { get; }
    /// <summary>T': feature rows per window.</summary>
    public int TimeSteps => Grids.Time;
    /// <summary>d: the width of a feature row (the decoder's).</summary>
    public int Width => _proj.Rows;

    sealed record Linear(WeightTensor Weight, DeviceTensor Bias);

    /// <summary>One block's weights and the row tables its attention and pooling use.</summary>
    sealed record EncoderBlock(
        int DimIn, int Dim, int Heads, DeviceTensor Norm1Weight, DeviceTensor Norm1Bias, Linear? Proj,
        Linear Q, Linear K, Linear V, Linear AttnProj, DeviceTensor Norm2Weight, DeviceTensor Norm2Bias, Linear Fc1, Linear Fc2,
        int RowsIn, int RowsOut, RowGrouping? Pool, WindowLayout? Windows);

    /// <summary>
    /// Max pooling by stride (1, ph, pw): <see cref="Order"/> lists, for each output row in turn, its
    /// <see cref="Group"/> input rows, so a gather then a max over consecutive groups pools.
    /// </summary>
    sealed record RowGrouping(DeviceIntTensor Order, int Group);

    /// <summary>
    /// Mask-unit attention: queries gathered window by window (QueryOrder, QueryWindow rows each), keys and
    /// values likewise (KeyOrder, KeyWindow rows each), and the attended rows put back by QueryInverse.
    /// </summary>
    sealed record WindowLayout(DeviceIntTensor QueryOrder, DeviceIntTensor QueryInverse, int QueryWindow, DeviceIntTensor KeyOrder, int KeyWindow);

    VideoEncoder(IComputeBackend backend, VmasConfig config, SafetensorsFile file)
    {
        _backend = backend;
        _config = config;
        Grids = config.Grids;
        var e = config.Encoder;
        _eps = (float)e.NormEps;
        try
        {
            var reader = new WeightReader(backend, file, _owned);
            _patchWeight = Own(backend.Upload(file.Get("patch_embed.weight").ToFloat32(),
                [e.EmbedDim, 3, e.PatchKernel[0], e.PatchKernel[1], e.PatchKernel[2]]));
            _patchBias = reader.Vector("patch_embed.bias");
            _positions = Own(backend.Upload(Positions(file, Grids, e.EmbedDim), Grids.Rows(0), e.EmbedDim));

            _blocks = new EncoderBlock[e.Blocks];
            int index = 0;
            for (int s = 0; s < e.Stages.Count; s++)
                for (int j = 0; j < e.Stages[s].Depth; j++, index++)
                    _blocks[index] = LoadBlock(reader, file, s, j, index);

            _normWeight = reader.Vector("norm.weight");
            _normBias = reader.Vector("norm.bias");
            _proj = reader.Matrix("proj.weight");
            _projBias = reader.Vector("proj.bias");
        }
        catch
        {
            _owned.Dispose();
            throw;
        }
    }

    /// <summary>Uploads the video_encoder component of a validated bundle.</summary>
    public static VideoEncoder Load(VmasBundle bundle, IComputeBackend backend) =>
        new(backend, bundle.Config, bundle.Component("video_encoder"));

    T Own<T>(T item) where T : IDisposable => _owned.Add(item);

    /// <summary>pos[t·H0·W0 + h·W0 + w] = spatial[h·W0 + w] + temporal[t], summed first in float32 (VMAS.md §6.2).</summary>
    static float[] Positions(SafetensorsFile file, VmasGrids grids, int c0)
    {
        float[] spatial = file.Get("pos_embed.spatial").ToFloat32(), temporal = file.Get("pos_embed.temporal").ToFloat32();
        int plane = grids.Heights[0] * grids.Widths[0];
        var table = new float[grids.Rows(0) * c0];
        for (int t = 0; t < grids.Time; t++)
            for (int p = 0; p < plane; p++)
                for (int c = 0; c < c0; c++)
                    table[((t * plane) + p) * c0 + c] = spatial[p * c0 + c] + temporal[t * c0 + c];
        return table;
    }

    EncoderBlock LoadBlock(WeightReader reader, SafetensorsFile file, int stage, int j, int index)
    {
        var e = _config.Encoder;
        bool transition = stage > 0 && j == 0;
        int dimIn = transition ? e.Dim(stage - 1) : e.Dim(stage), dim = e.Dim(stage);
        int gridIn = transition ? stage - 1 : stage;
        string p = $"blocks.{index}";
        // qkv is one [3D, D_in] linear; its q, k and v rows become three matrices so each lands in its own tensor.
        float[] qkv = file.Get($"{p}.attn.qkv.weight").ToFloat32(), qkvBias = file.Get($"{p}.attn.qkv.bias").ToFloat32();
        Linear Part(int part) => new(
            reader.Table(qkv.AsSpan(part * dim * dimIn, dim * dimIn).ToArray(), dim, dimIn),
            Own(_backend.Upload(qkvBias.AsSpan(part * dim, dim), dim)));
        Linear Dense(string name) => new(reader.Matrix($"{name}.weight"), reader.Vector($"{name}.bias"));

        var stageConfig = e.Stages[stage];
        RowGrouping? pool = transition ? new RowGrouping(Own(_backend.UploadInts(PoolOrder(Grids, stage), Grids.Rows(stage) * stageConfig.Pool![1] * stageConfig.Pool[2])),
            stageConfig.Pool[1] * stageConfig.Pool[2]) : null;
        WindowLayout? windows = stageConfig.IsMaskUnit ? Windows(stage, transition) : null;
        return new EncoderBlock(dimIn, dim, stageConfig.Heads,
            reader.Vector($"{p}.norm1.weight"), reader.Vector($"{p}.norm1.bias"), transition ? Dense($"{p}.proj") : null,
            Part(0), Part(1), Part(2), Dense($"{p}.attn.proj"),
            reader.Vector($"{p}.norm2.weight"), reader.Vector($"{p}.norm2.bias"), Dense($"{p}.mlp.fc1"), Dense($"{p}.mlp.fc2"),
            Grids.Rows(gridIn), Grids.Rows(stage), pool, windows);
    }

    /// <summary>For each row (t, h, w) of stage <paramref name="stage"/>'s grid, the ph·pw rows of the previous grid it pools.</summary>
    static int[] PoolOrder(VmasGrids grids, int stage)
    {
        int hIn = grids.Heights[stage - 1], wIn = grids.Widths[stage - 1], h = grids.Heights[stage], w = grids.Widths[stage];
        int ph = hIn / h, pw = wIn / w;
        var order = new int[grids.Rows(stage) * ph * pw];
        int i = 0;
        for (int t = 0; t < grids.Time; t++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int a = 0; a < ph; a++)
                        for (int b = 0; b < pw; b++)
                            order[i++] = (t * hIn + y * ph + a) * wIn + x * pw + b;
        return order;
    }

    /// <summary>
    /// Rows of a (T, H, W) grid listed window by window for windows (mt, mh, mw): windows in (t, h, w) order,
    /// rows inside each in (t, h, w) order (VMAS.md §6.2).
    /// </summary>
    static int[] WindowOrder(int time, int height, int width, int mt, int mh, int mw)
    {
        var order = new int[time * height * width];
        int i = 0;
        for (int wt = 0; wt < time / mt; wt++)
            for (int wh = 0; wh < height / mh; wh++)
                for (int ww = 0; ww < width / mw; ww++)
                    for (int a = 0; a < mt; a++)
                        for (int b = 0; b < mh; b++)
                            for (int c = 0; c < mw; c++)
                                order[i++] = ((wt * mt + a) * height + wh * mh + b) * width + ww * mw + c;
        return order;
    }

    WindowLayout Windows(int stage, bool transition)
    {
        var unit = _config.Encoder.Stages[stage].MaskUnit!;
        int t = Grids.Time, h = Grids.Heights[stage], w = Grids.Widths[stage];
        int[] queries = WindowOrder(t, h, w, unit[0], unit[1], unit[2]);
        var inverse = new int[queries.Length];
        for (int i = 0; i < queries.Length; i++) inverse[queries[i]] = i;
        // A transition block's keys live on the previous grid, where the window is the unit times the pool.
        var pool = transition ? _config.Encoder.Stages[stage].Pool! : [1, 1, 1];
        int[] keys = transition
            ? WindowOrder(t, Grids.Heights[stage - 1], Grids.Widths[stage - 1], unit[0], unit[1] * pool[1], unit[2] * pool[2])
            : queries;
        return new WindowLayout(Own(_backend.UploadInts(queries, queries.Length)), Own(_backend.UploadInts(inverse, inverse.Length)),
            unit[0] * unit[1] * unit[2], Own(_backend.UploadInts(keys, keys.Length)), unit[0] * unit[1] * unit[2] * pool[1] * pool[2]);
    }

    /// <summary>
    /// The memory [T', d] of one window's frames [3, F, H, W] (normalised, VMAS.md §6.1), in
    /// <paramref name="output"/>; <paramref name="trace"/> sees encoder.embed, encoder.blocks.{i} and encoder.out.
    /// </summary>
    public void Encode(DeviceTensor frames, DeviceTensor output, ActivationTrace? trace = null)
    {
        var b = _backend;
        var e = _config.Encoder;
        using var scratch = new ScratchTensors(b);
        var x = scratch.Get("x0", Grids.Rows(0), e.EmbedDim);
        b.Conv3dPatches(frames, _patchWeight, _patchBias, (e.PatchStride[0], e.PatchStride[1], e.PatchStride[2]),
            (e.PatchPadding[0], e.PatchPadding[1], e.PatchPadding[2]), x);
        b.Add(x, _positions, x);
        trace?.Invoke("encoder.embed", x);

        for (int i = 0; i < _blocks.Length; i++)
        {
            x = Block(_blocks[i], x, scratch, i);
            trace?.Invoke($"encoder.blocks.{i}", x);
        }

        int last = e.Dim(e.Stages.Count - 1), plane = Grids.Rows(e.Stages.Count - 1) / Grids.Time;
        var normed = scratch.Get("out.norm", x.Rows, last);
        b.LayerNorm(x, _normWeight, _normBias, _eps, normed);
        // The spatial positions of each time step are consecutive rows: their mean is one row per step.
        var folded = scratch.Get("out.fold", Grids.Time, last);
        b.PoolRows(normed, plane, RowPool.Mean, folded);
        trace?.Invoke("encoder.out", folded);
        b.MatMul(folded, _proj, output);
        b.AddBias(output, _projBias);
        trace?.Invoke("encoder.memory", output);
        b.Synchronize();
    }

    /// <summary>One HieraBlock (VMAS.md §6.2); returns the block's output, a scratch tensor named for the block.</summary>
    DeviceTensor Block(EncoderBlock block, DeviceTensor x, ScratchTensors scratch, int index)
    {
        var b = _backend;
        string p = $"b{index % 2}"; // alternate names: a block reads the previous block's output while writing its own
        int nIn = block.RowsIn, nOut = block.RowsOut, dim = block.Dim;

        var xn = scratch.Get("norm1", nIn, block.DimIn);
        b.LayerNorm(x, block.Norm1Weight, block.Norm1Bias, _eps, xn);

        var y = scratch.Get(p + ".out", nOut, dim);
        if (block.Proj is { } proj)
        {
            var projected = scratch.Get("skip.full", nIn, dim);
            Apply(proj, xn, projected);
            Pool(projected, block.Pool!, y, scratch, "skip");
        }
        else b.CopyRows(x, 0, y, 0, nIn);

        var q = scratch.Get("q", nIn, dim);
        var k = scratch.Get("k", nIn, dim);
        var v = scratch.Get("v", nIn, dim);
        Apply(block.Q, xn, q);
        Apply(block.K, xn, k);
        Apply(block.V, xn, v);
        if (block.Pool is { } pooling)
        {
            var pooled = scratch.Get("q.pooled", nOut, dim);
            Pool(q, pooling, pooled, scratch, "q");
            q = pooled;
        }

        var heads = new AttentionHeads(block.Heads, dim / block.Heads, (float)(1.0 / Math.Sqrt(dim / block.Heads)));
        var attended = scratch.Get("attended", nOut, dim);
        if (block.Windows is { } windows)
        {
            var qw = scratch.Get("q.windows", nOut, dim);
            var kw = scratch.Get("k.windows", nIn, dim);
            var vw = scratch.Get("v.windows", nIn, dim);
            var ow = scratch.Get("o.windows", nOut, dim);
            b.GatherRows(q, windows.QueryOrder, qw);
            b.GatherRows(k, windows.KeyOrder, kw);
            b.GatherRows(v, windows.KeyOrder, vw);
            b.WindowedAttention(qw, kw, vw, ow, heads, windows.QueryWindow, windows.KeyWindow);
            b.GatherRows(ow, windows.QueryInverse, attended);
        }
        else b.Attention(q, k, v, attended, heads, bias: null);

        var o = scratch.Get("o", nOut, dim);
        Apply(block.AttnProj, attended, o);
        b.Add(y, o, y);

        var h = scratch.Get("norm2", nOut, dim);
        b.LayerNorm(y, block.Norm2Weight, block.Norm2Bias, _eps, h);
        var hidden = scratch.Get("mlp", nOut, block.Fc1.Weight.Rows);
        Apply(block.Fc1, h, hidden);
        b.Gelu(hidden, hidden);
        Apply(block.Fc2, hidden, o);
        b.Add(y, o, y);
        return y;
    }

    void Apply(Linear linear, DeviceTensor input, DeviceTensor output)
    {
        _backend.MatMul(input, linear.Weight, output);
        _backend.AddBias(output, linear.Bias);
    }

    void Pool(DeviceTensor input, RowGrouping pooling, DeviceTensor output, ScratchTensors scratch, string name)
    {
        var grouped = scratch.Get(name + ".grouped", output.Rows * pooling.Group, input.Columns);
        _backend.GatherRows(input, pooling.Order, grouped);
        _backend.PoolRows(grouped, pooling.Group, RowPool.Max, output);
    }

    /// <summary>Frees the weights and tables; the backend stays the caller's.</summary>
    public void Dispose()
    {
        _backend.Synchronize();
        _owned.Dispose();
    }
}
