using V2Meow.Kernels;
using Conv1dLauncher = V2Meow.Kernels.Conv1d;
using ConvTranspose1dLauncher = V2Meow.Kernels.ConvTranspose1d;
using LstmLauncher = V2Meow.Kernels.Lstm;

namespace V2Meow.Runtime.Backends.Ilgpu;

/// <summary>The codec ops on ILGPU. Their kernel families load on first use, so a backend that never decodes never compiles them.</summary>
public sealed partial class IlgpuBackend
{
    Rvq? _codecRvq;
    Conv1dLauncher? _codecConv;
    ConvTranspose1dLauncher? _codecConvTranspose;
    CodecActivations? _codecActivations;
    LstmLauncher? _codecLstm;

    Rvq CodecRvqKernels => _codecRvq ??= new Rvq(_accelerator, Geometry.GroupSize);
    Conv1dLauncher CodecConvKernels => _codecConv ??= new Conv1dLauncher(_accelerator);
    ConvTranspose1dLauncher CodecConvTransposeKernels => _codecConvTranspose ??= new ConvTranspose1dLauncher(_accelerator);
    CodecActivations CodecActivationsKernels => _codecActivations ??= new CodecActivations(_accelerator);
    LstmLauncher CodecLstmKernels => _codecLstm ??= new LstmLauncher(_accelerator, Geometry);

    /// <inheritdoc/>
    public void RvqLookup(DeviceTensor codebooks, DeviceIntTensor codes, int levels, DeviceTensor output)
    {
        var (cb, c, y) = (Own<IlgpuTensor>(codebooks, "codebooks"), Own<IlgpuIntTensor>(codes, "codes"), Own<IlgpuTensor>(output, "output"));
        var (_, k, d, frames) = CodecChecks.Rvq(cb, c, levels, y);
        if (NothingToCompute(y)) return;
        CodecRvqKernels.Lookup(_stream, c.View, cb.View, y.View, levels, k, d, frames);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The residual is a buffer this call owns, so it waits for the stream before freeing it (the op returns with
    /// its codes complete).
    /// </remarks>
    public void RvqEncode(DeviceTensor codebooks, DeviceTensor latent, int levels, DeviceIntTensor codes)
    {
        var (cb, z, c) = (Own<IlgpuTensor>(codebooks, "codebooks"), Own<IlgpuTensor>(latent, "latent"), Own<IlgpuIntTensor>(codes, "codes"));
        var (_, k, d, frames) = CodecChecks.RvqEncode(cb, z, levels, c);
        if (NothingToCompute(c)) return;
        using var residual = new IlgpuTensor(this, _accelerator, [d, frames]);
        CodecRvqKernels.Encode(_stream, z.View, cb.View, residual.View, c.View, levels, k, d, frames);
        _stream.Synchronize();
    }

    /// <inheritdoc/>
    public void Conv1d(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
        int dilation, ConvPadding padding, DeviceTensor? residual = null)
    {
        var (x, w, b, y) = (Own<IlgpuTensor>(input, "input"), Own<IlgpuTensor>(weight, "weight"), Own<IlgpuTensor>(bias, "bias"), Own<IlgpuTensor>(output, "output"));
        var r = residual is null ? null : Own<IlgpuTensor>(residual, "residual");
        var (ci, co, length, k) = CodecChecks.Conv(x, w, b, y, dilation, r);
        if (NothingToCompute(y)) return;
        CodecConvKernels.Run(_stream, x.View, w.View, b.View, r?.View, y.View, ci, co, length, k, dilation,
            CodecChecks.PadLeft(k, dilation, padding));
    }

    /// <inheritdoc/>
    public void ConvTranspose1d(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
        int stride, ConvPadding padding)
    {
        var (x, w, b, y) = (Own<IlgpuTensor>(input, "input"), Own<IlgpuTensor>(weight, "weight"), Own<IlgpuTensor>(bias, "bias"), Own<IlgpuTensor>(output, "output"));
        var (ci, co, frames, k) = CodecChecks.ConvTranspose(x, w, b, y, stride);
        if (NothingToCompute(y)) return;
        CodecConvTransposeKernels.Run(_stream, x.View, w.View, b.View, y.View, ci, co, frames, k, stride,
            CodecChecks.TransposedStart(stride, padding), frames * stride);
    }

    /// <inheritdoc/>
    public void StridedConv1d(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
        int stride, ConvPadding padding)
    {
        var (x, w, b, y) = (Own<IlgpuTensor>(input, "input"), Own<IlgpuTensor>(weight, "weight"), Own<IlgpuTensor>(bias, "bias"), Own<IlgpuTensor>(output, "output"));
        var (ci, co, length, k) = CodecChecks.StridedConv(x, w, b, y, stride);
        if (NothingToCompute(y)) return;
        CodecConvKernels.RunStrided(_stream, x.View, w.View, b.View, y.View, ci, co, length, k, stride,
            CodecChecks.StridedPadLeft(k, stride, padding));
    }

    /// <inheritdoc/>
    public void Elu(DeviceTensor input, DeviceTensor output)
    {
        var (x, y) = (Own<IlgpuTensor>(input, "input"), Own<IlgpuTensor>(output, "output"));
        TensorChecks.SameLength(x, y, "elu");
        if (NothingToCompute(y)) return;
        CodecActivationsKernels.Elu(_stream, x.View, y.View, x.Length);
    }

    /// <inheritdoc/>
    public void Snake(DeviceTensor input, DeviceTensor alpha, DeviceTensor output)
    {
        var (x, a, y) = (Own<IlgpuTensor>(input, "input"), Own<IlgpuTensor>(alpha, "alpha"), Own<IlgpuTensor>(output, "output"));
        var (channels, length) = CodecChecks.Snake(x, a, y);
        if (NothingToCompute(y)) return;
        CodecActivationsKernels.Snake(_stream, x.View, a.View, y.View, channels, length);
    }

    /// <inheritdoc/>
    public void Tanh(DeviceTensor input, DeviceTensor output)
    {
        var (x, y) = (Own<IlgpuTensor>(input, "input"), Own<IlgpuTensor>(output, "output"));
        TensorChecks.SameLength(x, y, "tanh");
        if (NothingToCompute(y)) return;
        CodecActivationsKernels.Tanh(_stream, x.View, y.View, x.Length);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// One launch per time step; the cell state is a buffer this call owns, so it waits for the stream before
    /// freeing it (the op returns with its output complete).
    /// </remarks>
    public void Lstm(DeviceTensor inputGates, DeviceTensor weightHh, DeviceTensor biasHh, DeviceTensor output)
    {
        var (g, w, b, y) = (Own<IlgpuTensor>(inputGates, "input gates"), Own<IlgpuTensor>(weightHh, "weight_hh"), Own<IlgpuTensor>(biasHh, "bias_hh"), Own<IlgpuTensor>(output, "output"));
        var (channels, frames) = CodecChecks.Lstm(g, w, b, y);
        if (NothingToCompute(y)) return;
        using var cell = new IlgpuTensor(this, _accelerator, [channels]);
        CodecLstmKernels.Run(_stream, g.View, w.View, b.View, cell.View, y.View, channels, frames);
        _stream.Synchronize();
    }
}
