using ILGPU.Runtime;
using ILGPU.Runtime.OpenCL;
using V2Meow.Kernels;
using V2Meow.Loaders.Safetensors;
using V2Meow.Numerics;

namespace V2Meow.Runtime.Backends.Ilgpu;

/// <summary>The transformer ops on ILGPU: each kernel family loaded on first use, every launch on the one stream.</summary>
public sealed partial class IlgpuBackend
{
    Norms? _norms;
    Activations? _activations;
    Embedding? _embedding;
    Attention? _attention;
    Sampling? _sampling;

    Norms NormKernels => _norms ??= new Norms(_accelerator, Geometry);
    Activations ActivationKernels => _activations ??= new Activations(_accelerator);
    Embedding EmbeddingKernels => _embedding ??= new Embedding(_accelerator);
    Attention AttentionKernels => _attention ??= new Attention(_accelerator, Geometry);
    Sampling SamplingKernels => _sampling ??= CreateSampling();

    /// <inheritdoc/>
    public DeviceIntTensor AllocateInts(params int[] shape) => new IlgpuIntTensor(this, _accelerator, shape);

    /// <inheritdoc/>
    public DeviceIntTensor UploadInts(ReadOnlySpan<int> values, params int[] shape)
    {
        var tensor = new IlgpuIntTensor(this, _accelerator, shape);
        try { UploadInts(values, tensor); }
        catch
        {
            tensor.Dispose();
            throw;
        }
        return tensor;
    }

    /// <inheritdoc/>
    public void UploadInts(ReadOnlySpan<int> values, DeviceIntTensor destination)
    {
        var t = Own<IlgpuIntTensor>(destination, "destination");
        if (values.Length != t.Length) throw new ArgumentException($"upload: {values.Length} ids for shape {t.ShapeText}");
        if (values.Length > 0) t.View.SubView(0, values.Length).CopyFromCPU(_stream, values);
    }

    /// <inheritdoc/>
    public void UploadInts(ReadOnlySpan<int> values, DeviceIntTensor destination, int offset)
    {
        var t = Own<IlgpuIntTensor>(destination, "destination");
        if (offset < 0 || offset > t.Length - values.Length)
            throw new ArgumentException($"upload: {values.Length} ids at offset {offset} do not fit shape {t.ShapeText}");
        if (values.Length > 0) t.View.SubView(offset, values.Length).CopyFromCPU(_stream, values);
    }

    /// <inheritdoc/>
    public void DownloadInts(DeviceIntTensor tensor, Span<int> destination)
    {
        var t = Own<IlgpuIntTensor>(tensor, "download");
        if (destination.Length != t.Length)
            throw new ArgumentException($"download: destination holds {destination.Length}, tensor {t.ShapeText}");
        if (destination.Length > 0) t.View.SubView(0, t.Length).CopyToCPU(_stream, destination);
        _stream.Synchronize();
    }

    /// <summary>f16 and bf16 stay 16-bit on the device; f32 is copied; any other dtype is widened to f32.</summary>
    public WeightTensor UploadWeights(TensorView view)
    {
        int[] shape = view.Shape.Select(d => checked((int)d)).ToArray();
        var weights = view.DType switch
        {
            DType.F16 => IlgpuWeightTensor.FromPacked(this, _accelerator, shape, WeightFormat.Float16, view.As<ushort>()),
            DType.BF16 => IlgpuWeightTensor.FromPacked(this, _accelerator, shape, WeightFormat.BFloat16, view.As<ushort>()),
            DType.F32 => IlgpuWeightTensor.FromSingle(this, _accelerator, shape, view.As<float>()),
            _ => IlgpuWeightTensor.FromSingle(this, _accelerator, shape, view.ToFloat32()),
        };
        // The source is a memory-mapped view the caller may close next: finish the copy first.
        _accelerator.Synchronize();
        return weights;
    }

    /// <inheritdoc/>
    public WeightTensor UploadWeights(ReadOnlySpan<float> values, int rows, int columns)
    {
        var weights = IlgpuWeightTensor.FromSingle(this, _accelerator, [rows, columns], values);
        _accelerator.Synchronize();
        return weights;
    }

    /// <inheritdoc/>
    public void MatMul(DeviceTensor input, WeightTensor weight, DeviceTensor output)
    {
        var (x, y) = (Own<IlgpuTensor>(input, "input"), Own<IlgpuTensor>(output, "output"));
        var w = Own<IlgpuWeightTensor>(weight, "weight");
        var (m, k, n) = TensorChecks.MatMul(x, w, y);
        if (NothingToCompute(y)) return;
        if (w.Format == WeightFormat.Float32) _gemm.Run(_stream, x.View, w.Single, y.View, m, k, n);
        else _gemm.Run(_stream, x.View, w.Packed, w.Format, y.View, m, k, n);
    }

    /// <inheritdoc/>
    public void AddBias(DeviceTensor x, DeviceTensor bias)
    {
        var (t, b) = (Own<IlgpuTensor>(x, "x"), Own<IlgpuTensor>(bias, "bias"));
        TransformerChecks.RowVector(t, b, "add bias");
        if (NothingToCompute(t)) return;
        _elementwise.AddBias(_stream, t.View, b.View, t.Length, t.Columns);
    }

    /// <inheritdoc/>
    public void LayerNorm(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, float eps, DeviceTensor output)
    {
        var (x, w, b, y) = (Own<IlgpuTensor>(input, "input"), Own<IlgpuTensor>(weight, "weight"), Own<IlgpuTensor>(bias, "bias"), Own<IlgpuTensor>(output, "output"));
        TransformerChecks.Norm(x, w, b, y, "layer norm");
        if (NothingToCompute(y)) return;
        NormKernels.LayerNorm(_stream, x.View, w.View, b.View, y.View, x.Rows, x.Columns, eps);
    }

    /// <inheritdoc/>
    public void RmsNorm(DeviceTensor input, DeviceTensor weight, float eps, DeviceTensor output)
    {
        var (x, w, y) = (Own<IlgpuTensor>(input, "input"), Own<IlgpuTensor>(weight, "weight"), Own<IlgpuTensor>(output, "output"));
        TransformerChecks.Norm(x, w, null, y, "rms norm");
        if (NothingToCompute(y)) return;
        NormKernels.RmsNorm(_stream, x.View, w.View, y.View, x.Rows, x.Columns, eps);
    }

    /// <inheritdoc/>
    public void Gelu(DeviceTensor input, DeviceTensor output)
    {
        var (x, y) = (Own<IlgpuTensor>(input, "input"), Own<IlgpuTensor>(output, "output"));
        TensorChecks.SameLength(x, y, "gelu");
        if (NothingToCompute(y)) return;
        ActivationKernels.Gelu(_stream, x.View, y.View, x.Length);
    }

    /// <inheritdoc/>
    public void Relu(DeviceTensor input, DeviceTensor output)
    {
        var (x, y) = (Own<IlgpuTensor>(input, "input"), Own<IlgpuTensor>(output, "output"));
        TensorChecks.SameLength(x, y, "relu");
        if (NothingToCompute(y)) return;
        ActivationKernels.Relu(_stream, x.View, y.View, x.Length);
    }

    /// <inheritdoc/>
    public void Geglu(DeviceTensor gate, DeviceTensor up, DeviceTensor output)
    {
        var (g, u, y) = (Own<IlgpuTensor>(gate, "gate"), Own<IlgpuTensor>(up, "up"), Own<IlgpuTensor>(output, "output"));
        TensorChecks.SameLength(g, u, "geglu");
        TensorChecks.SameLength(g, y, "geglu");
        if (NothingToCompute(y)) return;
        ActivationKernels.Geglu(_stream, g.View, u.View, y.View, g.Length);
    }

    /// <inheritdoc/>
    public void Embedding(DeviceIntTensor ids, WeightTensor table, DeviceTensor output, TokenLookup lookup)
    {
        var (i, t, y) = (Own<IlgpuIntTensor>(ids, "ids"), Own<IlgpuWeightTensor>(table, "table"), Own<IlgpuTensor>(output, "output"));
        int rows = TransformerChecks.Embedding(i, t, y, lookup);
        if (NothingToCompute(y)) return;
        var kernelLookup = new EmbeddingLookup
        {
            IdsOffset = lookup.IdsOffset, Columns = t.Columns, IdOffset = lookup.IdOffset,
            Levels = lookup.Levels, LevelStride = lookup.LevelStride,
        };
        if (t.Format == WeightFormat.Float32) EmbeddingKernels.Gather(_stream, i.View, t.Single, y.View, rows, kernelLookup);
        else EmbeddingKernels.Gather(_stream, i.View, t.Packed, t.Format, y.View, rows, kernelLookup);
    }

    /// <inheritdoc/>
    public void Attention(DeviceTensor q, DeviceTensor k, DeviceTensor v, DeviceTensor output, AttentionHeads heads, PositionBias? bias)
    {
        var (qs, ks, vs, ys) = (Own<IlgpuTensor>(q, "q"), Own<IlgpuTensor>(k, "k"), Own<IlgpuTensor>(v, "v"), Own<IlgpuTensor>(output, "output"));
        TransformerChecks.Attention(qs, ks, vs, ys, heads, bias);
        if (NothingToCompute(ys)) return;
        // Without a bias the kernel never reads the table; any view stands in for it.
        var table = bias is null ? qs.View : Own<IlgpuTensor>(bias.Table, "bias").View;
        AttentionKernels.Dense(_stream, qs.View, ks.View, vs.View, table, ys.View, qs.Rows, Shape(heads, bias, ks.Rows));
    }

    /// <inheritdoc/>
    public void WriteKeyValues(DeviceTensor k, DeviceTensor v, DeviceTensor kCache, DeviceTensor vCache, PagedRows rows)
    {
        var (ks, vs, kc, vc) = (Own<IlgpuTensor>(k, "k"), Own<IlgpuTensor>(v, "v"), Own<IlgpuTensor>(kCache, "k cache"), Own<IlgpuTensor>(vCache, "v cache"));
        TensorChecks.SameLength(ks, vs, "write keys and values");
        TransformerChecks.Paged(kc, vc, rows, ks.Columns, ks.Rows);
        if (NothingToCompute(ks)) return;
        AttentionKernels.WriteKeyValues(_stream, ks.View, vs.View, kc.View, vc.View, Own<IlgpuIntTensor>(rows.BlockTables, "block tables").View,
            Own<IlgpuIntTensor>(rows.RowSlot, "row slots").View, Own<IlgpuIntTensor>(rows.RowPosition, "row positions").View, ks.Rows, ks.Columns, Layout(rows));
    }

    /// <inheritdoc/>
    public void PagedAttention(DeviceTensor q, DeviceTensor kCache, DeviceTensor vCache, DeviceTensor output, PagedRows rows, AttentionHeads heads, PositionBias bias)
    {
        var (qs, kc, vc, ys) = (Own<IlgpuTensor>(q, "q"), Own<IlgpuTensor>(kCache, "k cache"), Own<IlgpuTensor>(vCache, "v cache"), Own<IlgpuTensor>(output, "output"));
        TransformerChecks.Attention(qs, kc, vc, ys, heads, bias);
        TransformerChecks.Paged(kc, vc, rows, heads.Inner, qs.Rows);
        if (NothingToCompute(ys)) return;
        AttentionKernels.Paged(_stream, qs.View, kc.View, vc.View, Own<IlgpuIntTensor>(rows.BlockTables, "block tables").View,
            Own<IlgpuIntTensor>(rows.RowSlot, "row slots").View, Own<IlgpuIntTensor>(rows.RowPosition, "row positions").View, Own<IlgpuTensor>(bias.Table, "bias").View,
            ys.View, qs.Rows, Shape(heads, bias, 0), Layout(rows));
    }

    /// <inheritdoc/>
    public void CopyRows(DeviceTensor source, int sourceRow, DeviceTensor destination, int destinationRow, int rows)
    {
        var (s, d) = (Own<IlgpuTensor>(source, "source"), Own<IlgpuTensor>(destination, "destination"));
        TransformerChecks.CopyRows(s, sourceRow, d, destinationRow, rows);
        if (rows == 0 || s.Columns == 0) return;
        int columns = s.Columns;
        s.View.SubView(sourceRow * columns, rows * columns).CopyTo(_stream, d.View.SubView(destinationRow * columns, rows * columns));
    }

    /// <inheritdoc/>
    public void Sample(DeviceTensor logits, double temperature, SamplingRequest request, DeviceIntTensor output)
    {
        var (l, o) = (Own<IlgpuTensor>(logits, "logits"), Own<IlgpuIntTensor>(output, "output"));
        var (rows, vocab) = TransformerChecks.Sample(l, temperature, request, o);
        if (NothingToCompute(l)) return;
        SamplingKernels.Sample(_stream, l.View, rows, vocab, temperature, o.View, request);
    }

    static AttentionShape Shape(AttentionHeads heads, PositionBias? bias, int keys) => new()
    {
        Heads = heads.Heads, HeadDim = heads.HeadDim, Scale = heads.Scale,
        HasBias = bias is null ? 0 : 1, MaxDistance = bias?.MaxDistance ?? 0, Keys = keys,
    };

    static PagedLayout Layout(PagedRows rows) => new() { BlockSize = rows.BlockSize, MaxBlocks = rows.MaxBlocks, Step = rows.Step };

    /// <summary>The sampler sums in f64 (SPEC §8.2); an OpenCL device without cl_khr_fp64 cannot run it.</summary>
    Sampling CreateSampling()
    {
        if (_accelerator is CLAccelerator cl && !cl.Capabilities.Float64)
            throw new DeviceException($"{_accelerator.Name}: token sampling needs f64 (cl_khr_fp64), which this OpenCL device lacks; use --device cpu or a CUDA device");
        return new Sampling(_accelerator, Geometry);
    }

    partial void ReleaseTransformerResources() => _sampling?.Dispose();


}
