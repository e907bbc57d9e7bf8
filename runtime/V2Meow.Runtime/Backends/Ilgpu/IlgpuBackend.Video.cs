using V2Meow.Kernels;
using Conv3dLauncher = V2Meow.Kernels.Conv3d;
using GuidanceLauncher = V2Meow.Kernels.Guidance;

namespace V2Meow.Runtime.Backends.Ilgpu;

/// <summary>The video-family ops on ILGPU. Their kernel families load on first use, like the codec's.</summary>
public sealed partial class IlgpuBackend
{
    Conv3dLauncher? _conv3d;
    Rows? _rows;
    GuidanceLauncher? _guidance;

    Conv3dLauncher Conv3dKernels => _conv3d ??= new Conv3dLauncher(_accelerator);
    Rows RowKernels => _rows ??= new Rows(_accelerator);
    GuidanceLauncher GuidanceKernels => _guidance ??= new GuidanceLauncher(_accelerator);

    /// <inheritdoc/>
    public void Conv3dPatches(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, (int T, int H, int W) stride,
        (int T, int H, int W) padding, DeviceTensor output)
    {
        var (x, w, b, y) = (Own<IlgpuTensor>(input, "input"), Own<IlgpuTensor>(weight, "weight"), Own<IlgpuTensor>(bias, "bias"), Own<IlgpuTensor>(output, "output"));
        var s = VideoChecks.Conv3d(x, w, b, stride, padding, y);
        if (NothingToCompute(y)) return;
        var grid = new PatchGrid
        {
            InChannels = s.InChannels, Frames = s.Frames, Height = s.Height, Width = s.Width, OutChannels = s.OutChannels,
            KernelT = s.KernelT, KernelH = s.KernelH, KernelW = s.KernelW,
            StrideT = stride.T, StrideH = stride.H, StrideW = stride.W, PadT = padding.T, PadH = padding.H, PadW = padding.W,
            OutH = s.OutH, OutW = s.OutW,
        };
        Conv3dKernels.Patches(_stream, x.View, w.View, b.View, y.View, s.Rows, grid);
    }

    /// <inheritdoc/>
    public void GatherRows(DeviceTensor source, DeviceIntTensor indices, DeviceTensor output)
    {
        var (s, i, y) = (Own<IlgpuTensor>(source, "source"), Own<IlgpuIntTensor>(indices, "indices"), Own<IlgpuTensor>(output, "output"));
        var (n, d, m) = VideoChecks.Gather(s, i, y);
        if (NothingToCompute(y)) return;
        RowKernels.Gather(_stream, i.View, s.View, y.View, m, d, n);
    }

    /// <inheritdoc/>
    public void PoolRows(DeviceTensor input, int group, RowPool mode, DeviceTensor output)
    {
        var (x, y) = (Own<IlgpuTensor>(input, "input"), Own<IlgpuTensor>(output, "output"));
        var (n, d) = VideoChecks.Pool(x, group, mode, y);
        if (NothingToCompute(y)) return;
        RowKernels.Pool(_stream, x.View, y.View, n, d, group, mode == RowPool.Mean);
    }

    /// <inheritdoc/>
    public void WindowedAttention(DeviceTensor q, DeviceTensor k, DeviceTensor v, DeviceTensor output, AttentionHeads heads,
        int queryWindow, int keyWindow)
    {
        var (qs, ks, vs, ys) = (Own<IlgpuTensor>(q, "q"), Own<IlgpuTensor>(k, "k"), Own<IlgpuTensor>(v, "v"), Own<IlgpuTensor>(output, "output"));
        VideoChecks.Windowed(qs, ks, vs, ys, heads, queryWindow, keyWindow);
        if (NothingToCompute(ys)) return;
        AttentionKernels.Windowed(_stream, qs.View, ks.View, vs.View, ys.View, qs.Rows, Shape(heads, null, keyWindow), queryWindow);
    }

    /// <inheritdoc/>
    public void Guidance(DeviceTensor conditioned, DeviceTensor unconditioned, float scale, DeviceTensor output)
    {
        var (c, u, y) = (Own<IlgpuTensor>(conditioned, "conditioned"), Own<IlgpuTensor>(unconditioned, "unconditioned"), Own<IlgpuTensor>(output, "output"));
        VideoChecks.Guidance(c, u, y);
        if (NothingToCompute(y)) return;
        GuidanceKernels.Mix(_stream, c.View, u.View, y.View, scale, y.Length);
    }
}
