namespace V2Meow.Runtime.Backends;

/// <summary>Where the ops run. <see cref="Auto"/> takes CUDA, then OpenCL, then the SIMD CPU backend.</summary>
public enum DeviceKind
{
    /// <summary>The best available: CUDA, then OpenCL, then <see cref="Cpu"/>.</summary>
    Auto,
    /// <summary>An NVIDIA GPU through ILGPU's CUDA accelerator.</summary>
    Cuda,
    /// <summary>An OpenCL device through ILGPU's OpenCL accelerator.</summary>
    OpenCL,
    /// <summary>ILGPU's CPU accelerator: an emulator for testing the GPU kernels at small sizes.</summary>
    IlgpuCpu,
    /// <summary>The multi-threaded SIMD backend on System.Numerics.Tensors.</summary>
    Cpu,
}

/// <summary>Names of <see cref="DeviceKind"/> as the CLI and <see cref="EnvironmentVariable"/> spell them.</summary>
public static class DeviceKinds
{
    /// <summary>Environment variable that picks the device when no option does.</summary>
    public const string EnvironmentVariable = "V2MEOW_DEVICE";

    /// <summary>
    /// The kind "auto", "cuda", "opencl", "ilgpu-cpu" or "cpu" names (any case); anything else is a <see cref="DeviceException"/>.
    /// </summary>
    public static DeviceKind Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => DeviceKind.Auto,
        "cuda" => DeviceKind.Cuda,
        "opencl" => DeviceKind.OpenCL,
        "ilgpu-cpu" => DeviceKind.IlgpuCpu,
        "cpu" => DeviceKind.Cpu,
        _ => throw new DeviceException($"unknown device '{text}'; expected auto, cuda, opencl, ilgpu-cpu or cpu"),
    };

    /// <summary>The name <see cref="Parse"/> reads back: "auto", "cuda", "opencl", "ilgpu-cpu" or "cpu".</summary>
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
