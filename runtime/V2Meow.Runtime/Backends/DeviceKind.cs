namespace V2Meow.Runtime.Backends;

/// <summary>Where the ops run. <see cref="Auto"/> takes CUDA, then OpenCL, then the SIMD CPU backend.</summary>
public enum DeviceKind
{
    Auto,
    Cuda,
    OpenCL,
    /// <summary>ILGPU's CPU accelerator: an emulator for testing the GPU kernels at small sizes.</summary>
    IlgpuCpu,
    /// <summary>The multi-threaded SIMD backend on System.Numerics.Tensors.</summary>
    Cpu,
}

public static class DeviceKinds
{
    /// <summary>Environment variable that picks the device when no option does.</summary>
    public const string EnvironmentVariable = "V2MEOW_DEVICE";

    public static DeviceKind Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => DeviceKind.Auto,
        "cuda" => DeviceKind.Cuda,
        "opencl" => DeviceKind.OpenCL,
        "ilgpu-cpu" => DeviceKind.IlgpuCpu,
        "cpu" => DeviceKind.Cpu,
        _ => throw new DeviceException($"unknown device '{text}'; expected auto, cuda, opencl, ilgpu-cpu or cpu"),
    };

    public static string Name(DeviceKind kind) => kind switch
    {
        DeviceKind.Auto => "auto",
        DeviceKind.Cuda => "cuda",
        DeviceKind.OpenCL => "opencl",
        DeviceKind.IlgpuCpu => "ilgpu-cpu",
        DeviceKind.Cpu => "cpu",
        _ => kind.ToString(),
    };

    /// <summary>The explicit choice if given, else the environment variable, else auto.</summary>
    public static DeviceKind Resolve(string? option, Func<string, string?>? environment = null)
    {
        if (!string.IsNullOrWhiteSpace(option)) return Parse(option);
        string? fromEnvironment = (environment ?? Environment.GetEnvironmentVariable)(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(fromEnvironment) ? DeviceKind.Auto : Parse(fromEnvironment);
    }
}
