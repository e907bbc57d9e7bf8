using ILGPU;
using ILGPU.Runtime;
using V2Meow.Kernels;

namespace V2Meow.Runtime.Backends.Ilgpu;

/// <summary>
/// The ILGPU backend: one context and accelerator per instance (nothing global), the kernel families
/// loaded once, every op queued on one stream.
/// </summary>
public sealed partial class IlgpuBackend : IComputeBackend
{
    readonly Context _context;
    readonly Accelerator _accelerator;
    readonly AcceleratorStream _stream;
    readonly Elementwise _elementwise;
    readonly Gemm _gemm;

    /// <inheritdoc/>
    public DeviceKind Kind { get; }
    /// <inheritdoc/>
    public DeviceInfo Device { get; }
    /// <summary>Group sizes, tile and reduction strategy taken from this accelerator's limits.</summary>
    public KernelGeometry Geometry { get; }

    IlgpuBackend(DeviceKind kind, Context context, Accelerator accelerator)
    {
        Kind = kind;
        _context = context;
        _accelerator = accelerator;
        _stream = accelerator.DefaultStream;
        Geometry = KernelGeometry.For(accelerator);
        Device = DeviceCatalog.Describe(kind, accelerator.Device);
        _elementwise = new Elementwise(accelerator);
        _gemm = new Gemm(accelerator, Geometry);
    }

    /// <summary>Opens the first device of <paramref name="kind"/> (cuda, opencl or ilgpu-cpu).</summary>
    public static IlgpuBackend Create(DeviceKind kind)
    {
        var context = DeviceCatalog.CreateContext(kind);
        try
        {
            var device = DeviceCatalog.FirstDevice(context, kind)
                ?? throw new DeviceException($"no {DeviceKinds.Name(kind)} device found; `v2meow devices` lists what is available");
            return new IlgpuBackend(kind, context, device.CreateAccelerator(context));
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public DeviceTensor Allocate(params int[] shape) => new IlgpuTensor(this, _accelerator, shape);

    /// <inheritdoc/>
    public DeviceTensor Upload(ReadOnlySpan<float> values, params int[] shape)
    {
        var tensor = new IlgpuTensor(this, _accelerator, shape);
        if (values.Length != tensor.Length)
        {
            tensor.Dispose();
            throw new ArgumentException($"upload: {values.Length} values for shape {tensor.ShapeText}");
        }
        if (values.Length > 0) tensor.View.SubView(0, values.Length).CopyFromCPU(_stream, values);
        return tensor;
    }

    /// <inheritdoc/>
    public void Download(DeviceTensor tensor, Span<float> destination)
    {
        var t = Own<IlgpuTensor>(tensor, "download");
        if (destination.Length != t.Length)
            throw new ArgumentException($"download: destination holds {destination.Length}, tensor {t.ShapeText}");
        if (destination.Length > 0) t.View.SubView(0, t.Length).CopyToCPU(_stream, destination);
        _stream.Synchronize();
    }

    /// <inheritdoc/>
    public void Synchronize() => _stream.Synchronize();

    /// <inheritdoc/>
    public void Add(DeviceTensor a, DeviceTensor b, DeviceTensor output)
    {
        var (x, y, z) = (Own<IlgpuTensor>(a, "a"), Own<IlgpuTensor>(b, "b"), Own<IlgpuTensor>(output, "output"));
        TensorChecks.SameLength(x, y, "add");
        TensorChecks.SameLength(x, z, "add");
        if (NothingToCompute(z)) return;
        _elementwise.Add(_stream, Exact(x), Exact(y), Exact(z));
    }

    /// <inheritdoc/>
    public void MatMul(DeviceTensor input, DeviceTensor weight, DeviceTensor output)
    {
        var (x, w, y) = (Own<IlgpuTensor>(input, "input"), Own<IlgpuTensor>(weight, "weight"), Own<IlgpuTensor>(output, "output"));
        var (m, k, n) = TensorChecks.MatMul(x, w, y);
        if (NothingToCompute(y)) return;
        _gemm.Run(_stream, x.View, w.View, y.View, m, k, n);
    }

    /// <summary>
    /// The one empty-tensor guard of every launch on this backend: an op whose output holds no element has
    /// nothing to compute, and ILGPU cannot launch an empty grid. The checks before it have already
    /// validated the shapes, so an empty output means an empty op.
    /// </summary>
    static bool NothingToCompute(DeviceBuffer output) => output.Length == 0;

    /// <summary>The view trimmed to the tensor's length (buffers hold at least one element).</summary>
    static ArrayView<float> Exact(IlgpuTensor t) => t.View.SubView(0, t.Length);


    /// <summary>Lets each partial part of the backend free what it owns before the accelerator goes.</summary>
    partial void ReleaseTransformerResources();

    T Own<T>(DeviceBuffer buffer, string role) where T : DeviceBuffer => TensorChecks.Owned<T>(this, buffer, role);

    /// <summary>
    /// Waits for the stream, then frees the sampling scratch, the accelerator and the context; dispose every tensor first.
    /// </summary>
    public void Dispose()
    {
        _stream.Synchronize();
        ReleaseTransformerResources();
        _accelerator.Dispose();
        _context.Dispose();
    }
}
