using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using V2Meow.Loaders.Safetensors;
using V2Meow.Numerics;

namespace V2Meow.Runtime.Backends.Cpu;

/// <summary>The transformer ops on the CPU: TensorPrimitives inner loops, Parallel.For across rows and heads.</summary>
public sealed partial class CpuBackend
{
    // Below this many elements an element-wise op runs on the calling thread: a parallel loop costs more than it saves.
    const int ParallelThreshold = 1 << 15;

    /// <inheritdoc/>
    public DeviceIntTensor AllocateInts(params int[] shape) => new CpuIntTensor(this, shape);

    /// <inheritdoc/>
    public DeviceIntTensor UploadInts(ReadOnlySpan<int> values, params int[] shape)
    {
        var tensor = new CpuIntTensor(this, shape);
        if (values.Length != tensor.Length)
        {
            tensor.Dispose();
            throw new ArgumentException($"upload: {values.Length} ids for shape {tensor.ShapeText}");
        }
        values.CopyTo(tensor.Data);
        return tensor;
    }

    /// <inheritdoc/>
    public void UploadInts(ReadOnlySpan<int> values, DeviceIntTensor destination)
    {
        var t = Own<CpuIntTensor>(destination, "destination");
        if (values.Length != t.Length) throw new ArgumentException($"upload: {values.Length} ids for shape {t.ShapeText}");
        values.CopyTo(t.Data);
    }

    /// <inheritdoc/>
    public void UploadInts(ReadOnlySpan<int> values, DeviceIntTensor destination, int offset)
    {
        var t = Own<CpuIntTensor>(destination, "destination");
        if (offset < 0 || offset > t.Length - values.Length)
            throw new ArgumentException($"upload: {values.Length} ids at offset {offset} do not fit shape {t.ShapeText}");
        values.CopyTo(t.Data.AsSpan(offset));
    }

    /// <inheritdoc/>
    public void DownloadInts(DeviceIntTensor tensor, Span<int> destination)
    {
        var t = Own<CpuIntTensor>(tensor, "download");
        if (destination.Length != t.Length)
            throw new ArgumentException($"download: destination holds {destination.Length}, tensor {t.ShapeText}");
        t.Data.CopyTo(destination);
    }

    /// <summary>
    /// f16 and bf16 stay 16-bit, copied once out of the memory-mapped file, and are widened in registers
    /// (<see cref="CpuGemm"/>): half the bytes a decode step reads. f32 is copied; any other dtype, and 16-bit
    /// weights holding NaN or ±Inf (the in-register widening assumes finite values), become f32.
    /// </summary>
    public WeightTensor UploadWeights(TensorView view)
    {
        int[] shape = view.Shape.Select(d => checked((int)d)).ToArray();
        var format = view.DType switch
        {
            DType.F16 => WeightFormat.Float16,
            DType.BF16 => WeightFormat.BFloat16,
            _ => WeightFormat.Float32,
        };
        if (format == WeightFormat.Float32 || FiniteValues.FirstNonFinite(view) >= 0)
            return new CpuWeightTensor(this, shape, view.ToFloat32());
        var packed = GC.AllocateUninitializedArray<ushort>(checked((int)view.ElementCount));
        view.As<ushort>().CopyTo(packed);
        return new CpuWeightTensor(this, shape, format, packed);
    }

    /// <inheritdoc/>
    public WeightTensor UploadWeights(ReadOnlySpan<float> values, int rows, int columns) =>
        new CpuWeightTensor(this, [rows, columns], values.ToArray());

    /// <inheritdoc/>
    public void MatMul(DeviceTensor input, WeightTensor weight, DeviceTensor output)
    {
        var (x, y) = (Own<CpuTensor>(input, "input"), Own<CpuTensor>(output, "output"));
        var w = Own<CpuWeightTensor>(weight, "weight");
        var (m, k, n) = TensorChecks.MatMul(x, w, y);
        CpuGemm.Multiply(x.Data, w, y.Data, m, k, n, _workers);
    }

    /// <inheritdoc/>
    public void AddBias(DeviceTensor x, DeviceTensor bias)
    {
        var (t, b) = (Own<CpuTensor>(x, "x"), Own<CpuTensor>(bias, "bias"));
        TransformerChecks.RowVector(t, b, "add bias");
        int columns = t.Columns;
        ForRows(t.Rows, columns, row => TensorPrimitives.Add(t.Span.Slice(row * columns, columns), b.Span, t.Span.Slice(row * columns, columns)));
    }

    /// <inheritdoc/>
    public void LayerNorm(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, float eps, DeviceTensor output)
    {
        var (x, w, b, y) = (Own<CpuTensor>(input, "input"), Own<CpuTensor>(weight, "weight"), Own<CpuTensor>(bias, "bias"), Own<CpuTensor>(output, "output"));
        TransformerChecks.Norm(x, w, b, y, "layer norm");
        int d = x.Columns;
        ForRows(x.Rows, d, row =>
        {
            var xs = new ReadOnlySpan<float>(x.Data, row * d, d);
            var ys = new Span<float>(y.Data, row * d, d);
            float mean = TensorPrimitives.Sum(xs) / d;
            TensorPrimitives.Subtract(xs, mean, ys);
            // SPEC §6.2: biased variance, as a second pass over the centred row.
            float inverse = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(ys) / d + eps);
            TensorPrimitives.Multiply(ys, inverse, ys);
            TensorPrimitives.FusedMultiplyAdd(ys, w.Span, b.Span, ys);
        });
    }

    /// <inheritdoc/>
    public void RmsNorm(DeviceTensor input, DeviceTensor weight, float eps, DeviceTensor output)
    {
        var (x, w, y) = (Own<CpuTensor>(input, "input"), Own<CpuTensor>(weight, "weight"), Own<CpuTensor>(output, "output"));
        TransformerChecks.Norm(x, w, null, y, "rms norm");
        int d = x.Columns;
        ForRows(x.Rows, d, row =>
        {
            var xs = new ReadOnlySpan<float>(x.Data, row * d, d);
            var ys = new Span<float>(y.Data, row * d, d);
            float inverse = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(xs) / d + eps);
            TensorPrimitives.Multiply(xs, inverse, ys);
            TensorPrimitives.Multiply(ys, w.Span, ys);
        });
    }

    /// <inheritdoc/>
    public void Gelu(DeviceTensor input, DeviceTensor output)
    {
        var (x, y) = (Own<CpuTensor>(input, "input"), Own<CpuTensor>(output, "output"));
        TensorChecks.SameLength(x, y, "gelu");
        ChunkedParallel.For(x.Length, _workers, (start, length) => GeluSpan(x.Data.AsSpan(start, length), y.Data.AsSpan(start, length)));
    }

    /// <inheritdoc/>
    public void Relu(DeviceTensor input, DeviceTensor output)
    {
        var (x, y) = (Own<CpuTensor>(input, "input"), Own<CpuTensor>(output, "output"));
        TensorChecks.SameLength(x, y, "relu");
        TensorPrimitives.Max(x.Span, 0f, y.Span);
    }

    /// <inheritdoc/>
    public void Geglu(DeviceTensor gate, DeviceTensor up, DeviceTensor output)
    {
        var (g, u, y) = (Own<CpuTensor>(gate, "gate"), Own<CpuTensor>(up, "up"), Own<CpuTensor>(output, "output"));
        TensorChecks.SameLength(g, u, "geglu");
        TensorChecks.SameLength(g, y, "geglu");
        ChunkedParallel.For(g.Length, _workers, (start, length) =>
        {
            // Through a small buffer, so the output may be the gate or the up tensor itself.
            Span<float> gelu = stackalloc float[256];
            for (int i = start; i < start + length; i += gelu.Length)
            {
                int n = Math.Min(gelu.Length, start + length - i);
                GeluSpan(g.Data.AsSpan(i, n), gelu[..n]);
                TensorPrimitives.Multiply(gelu[..n], u.Data.AsSpan(i, n), y.Data.AsSpan(i, n));
            }
        });
    }

    /// <inheritdoc/>
    public void Embedding(DeviceIntTensor ids, WeightTensor table, DeviceTensor output, TokenLookup lookup)
    {
        var (i, t, y) = (Own<CpuIntTensor>(ids, "ids"), Own<CpuWeightTensor>(table, "table"), Own<CpuTensor>(output, "output"));
        int rows = TransformerChecks.Embedding(i, t, y, lookup);
        int d = t.Columns;
        for (int r = 0; r < rows; r++)
        {
            int id = i.Data[lookup.IdsOffset + r] + lookup.IdOffset + r % lookup.Levels * lookup.LevelStride;
            if ((uint)id >= (uint)t.Rows)
                throw new ArgumentException($"embedding: row {r} asks for id {id}, outside the table's {t.Rows} rows");
            t.CopyRow(id, y.Data.AsSpan(r * d, d));
        }
    }

    /// <inheritdoc/>
    public void WriteKeyValues(DeviceTensor k, DeviceTensor v, DeviceTensor kCache, DeviceTensor vCache, PagedRows rows)
    {
        var (ks, vs, kc, vc) = (Own<CpuTensor>(k, "k"), Own<CpuTensor>(v, "v"), Own<CpuTensor>(kCache, "k cache"), Own<CpuTensor>(vCache, "v cache"));
        int inner = ks.Columns;
        TensorChecks.SameLength(ks, vs, "write keys and values");
        TransformerChecks.Paged(kc, vc, rows, inner, ks.Rows);
        var (tables, slots, positions) = (Own<CpuIntTensor>(rows.BlockTables, "block tables"), Own<CpuIntTensor>(rows.RowSlot, "row slots"), Own<CpuIntTensor>(rows.RowPosition, "row positions"));
        for (int r = 0; r < ks.Rows; r++)
        {
            var keyRows = new PagedKeyRows(tables.Data, slots.Data[r] * rows.MaxBlocks, rows.BlockSize);
            int position = positions.Data[r] + rows.Step;
            keyRows.Run(position, position + 1, out int row);
            int target = row * inner;
            Array.Copy(ks.Data, r * inner, kc.Data, target, inner);
            Array.Copy(vs.Data, r * inner, vc.Data, target, inner);
        }
    }

    /// <inheritdoc/>
    public void CopyRows(DeviceTensor source, int sourceRow, DeviceTensor destination, int destinationRow, int rows)
    {
        var (s, d) = (Own<CpuTensor>(source, "source"), Own<CpuTensor>(destination, "destination"));
        TransformerChecks.CopyRows(s, sourceRow, d, destinationRow, rows);
        int columns = s.Columns;
        Array.Copy(s.Data, sourceRow * columns, d.Data, destinationRow * columns, rows * columns);
    }

    /// <inheritdoc/>
    public void Sample(DeviceTensor logits, double temperature, SamplingRequest request, DeviceIntTensor output)
    {
        var (l, o) = (Own<CpuTensor>(logits, "logits"), Own<CpuIntTensor>(output, "output"));
        var (rows, vocab) = TransformerChecks.Sample(l, temperature, request, o);
        for (int r = 0; r < rows; r++)
            o.Data[request.OutputOffset + r] = HostSampler.Sample(new ReadOnlySpan<float>(l.Data, r * vocab, vocab),
                request.Lo, request.Hi, temperature, request.TopK, request.Uniform(r));
    }

    /// <summary>The exact-erf GELU eight lanes at a time, with <see cref="GeluMath"/>'s rational erf.</summary>
    static void GeluSpan(ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var clampHigh = Vector256.Create(GeluMath.Clamp);
            var clampLow = Vector256.Create(-GeluMath.Clamp);
            for (; i + 8 <= x.Length; i += 8)
            {
                var value = Vector256.Create(x.Slice(i, 8));
                var z = Vector256.Min(Vector256.Max(value * GeluMath.InverseSqrt2, clampLow), clampHigh);
                var z2 = z * z;
                var p = z2 * GeluMath.Alpha13 + Vector256.Create(GeluMath.Alpha11);
                p = z2 * p + Vector256.Create(GeluMath.Alpha9);
                p = z2 * p + Vector256.Create(GeluMath.Alpha7);
                p = z2 * p + Vector256.Create(GeluMath.Alpha5);
                p = z2 * p + Vector256.Create(GeluMath.Alpha3);
                p = z2 * p + Vector256.Create(GeluMath.Alpha1);
                p *= z;
                var q = z2 * GeluMath.Beta8 + Vector256.Create(GeluMath.Beta6);
                q = z2 * q + Vector256.Create(GeluMath.Beta4);
                q = z2 * q + Vector256.Create(GeluMath.Beta2);
                q = z2 * q + Vector256.Create(GeluMath.Beta0);
                (0.5f * value * (Vector256<float>.One + p / q)).CopyTo(y.Slice(i, 8));
            }
        }
        for (; i < x.Length; i++) y[i] = GeluMath.Gelu(x[i]);
    }

    void ForRows(int rows, int columns, Action<int> body)
    {
        if ((long)rows * columns < ParallelThreshold) for (int r = 0; r < rows; r++) body(r);
        else _workers.For(rows, body);
    }


}
