using System.Numerics.Tensors;

namespace V2Meow.Runtime.Backends.Cpu;

/// <summary>
/// The managed backend: TensorPrimitives for the SIMD inner loops, Parallel.For across rows. It is the
/// default where no GPU is found, so real model sizes run on any machine.
/// </summary>
public sealed partial class CpuBackend : IComputeBackend
{
    readonly ParallelOptions _parallel;
    readonly CpuWorkers _workers;
    /// <summary>
    /// Room for a paper-size codec decode's temporaries: about 40 MiB for a 2 s chunk, 150 MiB for the pipeline's
    /// 10 s chunks (the 1500-frame chunks of a codec-only decode need about 410 MiB, and reuse what fits).
    /// </summary>
    const long CachedArrayBytes = 256L << 20;
    readonly CpuArrayCache _arrays = new(CachedArrayBytes);

    /// <inheritdoc/>
    public DeviceKind Kind => DeviceKind.Cpu;
    /// <inheritdoc/>
    public DeviceInfo Device { get; }

    /// <summary>A backend running its parallel loops on <paramref name="threads"/> threads; all processors when null.</summary>
    public CpuBackend(int? threads = null)
    {
        int count = Math.Max(1, threads ?? Environment.ProcessorCount);
        _workers = new CpuWorkers(count);
        _parallel = _workers.Options;
        Device = Describe(count);
    }

    /// <summary>What <c>v2meow devices</c> shows for the CPU backend with <paramref name="threads"/> threads.</summary>
    public static DeviceInfo Describe(int threads) => new(
        DeviceKind.Cpu,
        $"managed SIMD ({System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}, {System.Numerics.Vector<float>.Count * 32}-bit vectors)",
        GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
        MaxThreadsPerGroup: 1,
        WarpSize: System.Numerics.Vector<float>.Count,
        ProcessorCount: threads,
        Capabilities: "f32 compute; f16/bf16 weights kept 16-bit, widened in registers");

    /// <inheritdoc/>
    public DeviceTensor Allocate(params int[] shape) => new CpuTensor(this, _arrays, shape);

    /// <inheritdoc/>
    public DeviceTensor Upload(ReadOnlySpan<float> values, params int[] shape)
    {
        var tensor = new CpuTensor(this, _arrays, shape);
        if (values.Length != tensor.Length)
        {
            tensor.Dispose();
            throw new ArgumentException($"upload: {values.Length} values for shape {tensor.ShapeText}");
        }
        values.CopyTo(tensor.Span);
        return tensor;
    }

    /// <inheritdoc/>
    public void Download(DeviceTensor tensor, Span<float> destination)
    {
        var t = Own<CpuTensor>(tensor, "download");
        if (destination.Length != t.Length)
            throw new ArgumentException($"download: destination holds {destination.Length}, tensor {t.ShapeText}");
        t.Span.CopyTo(destination);
    }

    /// <inheritdoc/>
    public void Synchronize() { }

    /// <inheritdoc/>
    public void Add(DeviceTensor a, DeviceTensor b, DeviceTensor output)
    {
        var (x, y, z) = (Own<CpuTensor>(a, "a"), Own<CpuTensor>(b, "b"), Own<CpuTensor>(output, "output"));
        TensorChecks.SameLength(x, y, "add");
        TensorChecks.SameLength(x, z, "add");
        TensorPrimitives.Add(x.Span, y.Span, z.Span);
    }

    /// <inheritdoc/>
    public void MatMul(DeviceTensor input, DeviceTensor weight, DeviceTensor output)
    {
        var (x, w, y) = (Own<CpuTensor>(input, "input"), Own<CpuTensor>(weight, "weight"), Own<CpuTensor>(output, "output"));
        var (m, k, n) = TensorChecks.MatMul(x, w, y);
        CpuGemm.Multiply(x.Data, w.Data, y.Data, m, k, n, _workers);
    }


    T Own<T>(DeviceBuffer buffer, string role) where T : DeviceBuffer => TensorChecks.Owned<T>(this, buffer, role);

    /// <summary>Bytes of released tensors' arrays the backend holds for reuse (<see cref="CpuArrayCache"/>).</summary>
    internal long CachedBytes => _arrays.Bytes;

    /// <summary>
    /// Stops the worker threads and lets the arrays kept for reuse go; the tensors are managed arrays, owned and
    /// disposed by their holders.
    /// </summary>
    public void Dispose()
    {
        _workers.Dispose();
        _arrays.Clear();
    }
}
