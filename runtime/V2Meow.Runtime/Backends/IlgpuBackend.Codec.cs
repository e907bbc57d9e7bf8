using ILGPU;
using ILGPU.Runtime;
using Conv1dLauncher = V2Meow.Kernels.Conv1d;
using ConvTranspose1dLauncher = V2Meow.Kernels.ConvTranspose1d;
using V2Meow.Kernels;

namespace V2Meow.Runtime.Backends;

/// <summary>The codec ops on ILGPU. Their kernel families load on first use, so a backend that never decodes never compiles them.</summary>
public sealed partial class IlgpuBackend
{
    Rvq? _codecRvq;
    Conv1dLauncher? _codecConv;
    ConvTranspose1dLauncher? _codecConvTranspose;
    CodecActivations? _codecActivations;

    Rvq CodecRvqKernels => _codecRvq ??= new Rvq(_accelerator);
    Conv1dLauncher CodecConvKernels => _codecConv ??= new Conv1dLauncher(_accelerator);
    ConvTranspose1dLauncher CodecConvTransposeKernels => _codecConvTranspose ??= new ConvTranspose1dLauncher(_accelerator);
    CodecActivations CodecActivationsKernels => _codecActivations ??= new CodecActivations(_accelerator);

    public void RvqLookup(DeviceTensor codebooks, ReadOnlySpan<int> codes, int levels, DeviceTensor output)
    {
        var (cb, y) = (Own(codebooks, "codebooks"), Own(output, "output"));
        var (_, k, d, frames) = CodecChecks.Rvq(cb, codes, levels, y);
        if (frames == 0 || d == 0) return;
        // The codes travel with the call (a few thousand ints per decode), in a buffer owned here and
        // released only once the stream has run the lookup.
        using var codeBuffer = _accelerator.Allocate1D<int>(codes.Length);
        codeBuffer.View.CopyFromCPU(_stream, codes);
        CodecRvqKernels.Lookup(_stream, codeBuffer.View, cb.View, y.View, levels, k, d, frames);
        _stream.Synchronize();
    }

    public void Conv1d(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
        int dilation, ConvPadding padding, DeviceTensor? residual = null)
    {
        var (x, w, b, y) = (Own(input, "input"), Own(weight, "weight"), Own(bias, "bias"), Own(output, "output"));
        var r = residual is null ? null : Own(residual, "residual");
        var (ci, co, length, k) = CodecChecks.Conv(x, w, b, y, dilation, r);
        CodecConvKernels.Run(_stream, x.View, w.View, b.View, r?.View, y.View, ci, co, length, k, dilation,
            CodecChecks.PadLeft(k, dilation, padding));
    }

    public void ConvTranspose1d(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output,
        int stride, ConvPadding padding)
    {
        var (x, w, b, y) = (Own(input, "input"), Own(weight, "weight"), Own(bias, "bias"), Own(output, "output"));
        var (ci, co, frames, k) = CodecChecks.ConvTranspose(x, w, b, y, stride);
        CodecConvTransposeKernels.Run(_stream, x.View, w.View, b.View, y.View, ci, co, frames, k, stride,
            CodecChecks.TransposedStart(stride, padding), frames * stride);
    }

    public void Elu(DeviceTensor input, DeviceTensor output)
    {
        var (x, y) = (Own(input, "input"), Own(output, "output"));
        TensorChecks.SameLength(x, y, "elu");
        CodecActivationsKernels.Elu(_stream, x.View, y.View, x.Length);
    }

    public void Snake(DeviceTensor input, DeviceTensor alpha, DeviceTensor output)
    {
        var (x, a, y) = (Own(input, "input"), Own(alpha, "alpha"), Own(output, "output"));
        var (channels, length) = CodecChecks.Snake(x, a, y);
        CodecActivationsKernels.Snake(_stream, x.View, a.View, y.View, channels, length);
    }

    public void Tanh(DeviceTensor input, DeviceTensor output)
    {
        var (x, y) = (Own(input, "input"), Own(output, "output"));
        TensorChecks.SameLength(x, y, "tanh");
        CodecActivationsKernels.Tanh(_stream, x.View, y.View, x.Length);
    }
}
