using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Backends.Cpu;

namespace V2Meow.Bench;

/// <summary>
/// The backends this machine has, by name, for the Device parameter of every benchmark: the CPU backend
/// always, then CUDA and OpenCL when present. ILGPU's CPU accelerator is an emulator whose timings say
/// nothing about a GPU; it joins only with V2MEOW_BENCH_EMULATOR=1.
/// </summary>
public static class BenchDevices
{
    public const string EmulatorVariable = "V2MEOW_BENCH_EMULATOR";
    /// <summary>CPU backend threads (default: every core), so runs can match PyTorch's thread count.</summary>
    public const string ThreadsVariable = "V2MEOW_BENCH_THREADS";

    static IReadOnlyList<string>? _present;

    public static IReadOnlyList<string> Present => _present ??= Find();

    static IReadOnlyList<string> Find()
    {
        var names = new List<string> { "cpu" };
        bool emulator = Environment.GetEnvironmentVariable(EmulatorVariable) == "1";
        try
        {
            foreach (var device in DeviceCatalog.List())
            {
                if (device.Kind is DeviceKind.Cuda or DeviceKind.OpenCL || (device.Kind == DeviceKind.IlgpuCpu && emulator))
                {
                    string name = DeviceKinds.Name(device.Kind);
                    if (!names.Contains(name)) names.Add(name);
                }
            }
        }
        catch (DeviceException e)
        {
            Console.Error.WriteLine($"// no ILGPU devices: {e.Message}");
        }
        return names;
    }

    public static IComputeBackend Open(string name)
    {
        var kind = DeviceKinds.Parse(name);
        return kind != DeviceKind.Cpu ? DeviceCatalog.Open(kind) : new CpuBackend(CpuThreads);
    }

    /// <summary>The CPU backend's threads: <see cref="ThreadsVariable"/> when set to a positive count, else every core.</summary>
    public static int CpuThreads =>
        int.TryParse(Environment.GetEnvironmentVariable(ThreadsVariable), out int threads) && threads > 0
            ? threads
            : Environment.ProcessorCount;
}
