using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using V2Meow.Runtime.Backends.Cpu;
using V2Meow.Runtime.Backends.Ilgpu;

namespace V2Meow.Runtime.Backends;

/// <summary>Finds devices and opens backends; holds no state between calls.</summary>
public static class DeviceCatalog
{
    /// <summary>Every device this machine offers, the CPU backend first.</summary>
    public static IReadOnlyList<DeviceInfo> List()
    {
        var devices = new List<DeviceInfo> { CpuBackend.Describe(Environment.ProcessorCount) };
        using var context = CreateContext(DeviceKind.Auto);
        // ILGPU offers several simulated CPU accelerator shapes; the first (16 threads a group) is the one opened.
        bool cpuListed = false;
        foreach (var device in context.Devices)
        {
            var kind = KindOf(device);
            if (kind is null || (kind == DeviceKind.IlgpuCpu && cpuListed)) continue;
            cpuListed |= kind == DeviceKind.IlgpuCpu;
            devices.Add(Describe(kind.Value, device));
        }
        return devices;
    }

    /// <summary>Opens the backend for <paramref name="kind"/>; auto takes CUDA, then OpenCL, then the CPU backend.</summary>
    public static IComputeBackend Open(DeviceKind kind)
    {
        if (kind == DeviceKind.Cpu) return new CpuBackend();
        if (kind != DeviceKind.Auto) return IlgpuBackend.Create(kind);
        if (!GpuDrivers.MayBePresent()) return new CpuBackend();
        using (var context = CreateContext(DeviceKind.Auto))
        {
            foreach (var preferred in new[] { DeviceKind.Cuda, DeviceKind.OpenCL })
                if (FirstDevice(context, preferred) is not null)
                    return IlgpuBackend.Create(preferred);
        }
        return new CpuBackend();
    }

    internal static Context CreateContext(DeviceKind kind)
    {
        try
        {
            return Context.Create(builder =>
            {
                if (kind is DeviceKind.Auto or DeviceKind.Cuda) builder.Cuda();
                // ILGPU's OpenCL backend needs OpenCL 2.x or 3.0 with the generic address space; the
                // builder's default predicate drops devices without it (PoCL among them).
                if (kind is DeviceKind.Auto or DeviceKind.OpenCL) builder.OpenCL();
                if (kind is DeviceKind.Auto or DeviceKind.IlgpuCpu) builder.CPU();
                builder.EnableAlgorithms();
            });
        }
        catch (Exception e) when (e is not DeviceException)
        {
            throw new DeviceException($"could not initialise ILGPU for {DeviceKinds.Name(kind)}: {e.Message}", e);
        }
    }

    internal static Device? FirstDevice(Context context, DeviceKind kind) =>
        context.Devices.FirstOrDefault(d => KindOf(d) == kind);

    static DeviceKind? KindOf(Device device) => device switch
    {
        CudaDevice => DeviceKind.Cuda,
        CLDevice => DeviceKind.OpenCL,
        CPUDevice => DeviceKind.IlgpuCpu,
        _ => null,
    };

    internal static DeviceInfo Describe(DeviceKind kind, Device device)
    {
        string capabilities = device switch
        {
            CudaDevice cuda => $"sm_{(int)cuda.Architecture!.Value.Major}{cuda.Architecture!.Value.Minor}, warp shuffles",
            CLDevice cl => $"{cl.CVersion}, {cl.Vendor}, shared-memory reductions",
            CPUDevice => "emulated; shared-memory reductions; for testing kernels at small sizes",
            _ => "",
        };
        // The CPU accelerator reports an unbounded size; what it really has is host memory.
        long memory = device is CPUDevice ? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes : device.MemorySize;
        return new DeviceInfo(kind, device.Name, memory, device.MaxNumThreadsPerGroup,
            device.WarpSize, device.NumMultiprocessors, capabilities);
    }
}
