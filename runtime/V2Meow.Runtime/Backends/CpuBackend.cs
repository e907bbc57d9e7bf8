using System.Numerics.Tensors;

namespace V2Meow.Runtime.Backends;

/// <summary>
/// The managed backend: TensorPrimitives for the SIMD inner loops, Parallel.For across rows. It is the
/// default where no GPU is found, so real model sizes run on any machine.
/// </summary>
public sealed partial class CpuBackend : IComputeBackend
{
    readonly ParallelOptions _parallel;

    public DeviceKind Kind => DeviceKind.Cpu;
    public DeviceInfo Device { get; }

    public CpuBackend(int? threads = null)
    {
        int count = Math.Max(1, threads ?? Environment.ProcessorCount);
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = count };
        Device = Describe(count);
    }

    public static DeviceInfo Describe(int threads) => new(
        DeviceKind.Cpu,
        $"managed SIMD ({System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}, {System.Numerics.Vector<float>.Count * 32}-bit vectors)",
        GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
        MaxThreadsPerGroup: 1,
        WarpSize: System.Numerics.Vector<float>.Count,
        ProcessorCount: threads,
        Capabilities: "f32 compute; f16/bf16 weights widened on load");

    public DeviceTensor Allocate(params int[] shape) => new CpuTensor(this, shape);

    public DeviceTensor Upload(ReadOnlySpan<float> values, params int[] shape)
    {
        var tensor = new CpuTensor(this, shape);
        if (values.Length != tensor.Length)
        {
            tensor.Dispose();
            throw new ArgumentException($"upload: {values.Length} values for shape {tensor.ShapeText}");
        }
        values.CopyTo(tensor.Span);
        return tensor;
    }

    public void Download(DeviceTensor tensor, Span<float> destination)
    {
        var t = Own(tensor, "download");
        if (destination.Length != t.Length)
            throw new ArgumentException($"download: destination holds {destination.Length}, tensor {t.ShapeText}");
        t.Span.CopyTo(destination);
    }

    public void Synchronize() { }

    public void Add(DeviceTensor a, DeviceTensor b, DeviceTensor output)
    {
        var (x, y, z) = (Own(a, "a"), Own(b, "b"), Own(output, "output"));
        TensorChecks.SameLength(x, y, "add");
        TensorChecks.SameLength(x, z, "add");
        TensorPrimitives.Add(x.Span, y.Span, z.Span);
    }

    public void MatMul(DeviceTensor input, DeviceTensor weight, DeviceTensor output)
    {
        var (x, w, y) = (Own(input, "input"), Own(weight, "weight"), Own(output, "output"));
        var (m, k, n) = TensorChecks.MatMul(x, w, y);
        float[] xs = x.Data, ws = w.Data, ys = y.Data;
        // Split over output columns in blocks: each worker streams its slice of weight rows once and
        // reuses it for every input row, which is what keeps decode (M = 1) bandwidth-bound, not latency-bound.
        const int block = 16;
        int blocks = (n + block - 1) / block;
        Parallel.For(0, blocks, _parallel, bi =>
        {
            int n0 = bi * block, n1 = Math.Min(n, n0 + block);
            for (int row = 0; row < m; row++)
            {
                var xr = new ReadOnlySpan<float>(xs, row * k, k);
                for (int col = n0; col < n1; col++)
                    ys[row * n + col] = TensorPrimitives.Dot(xr, new ReadOnlySpan<float>(ws, col * k, k));
            }
        });
    }

    CpuTensor Own(DeviceTensor tensor, string role)
    {
        TensorChecks.Owned(this, tensor, role);
        return (CpuTensor)tensor;
    }

    public void Dispose() { }
}
