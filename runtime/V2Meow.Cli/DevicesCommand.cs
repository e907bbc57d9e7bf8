using V2Meow.Runtime.Backends;

namespace V2Meow.Cli;

/// <summary><c>v2meow devices</c>: what this machine offers and what <c>--device auto</c> would pick.</summary>
public static class DevicesCommand
{
    public static int Run(string[] args, TextWriter output)
    {
        if (args.Length != 0) throw new UsageException("usage: v2meow devices");
        foreach (var device in DeviceCatalog.List()) output.WriteLine(device);
        using var chosen = DeviceCatalog.Open(DeviceKinds.Resolve(null));
        output.WriteLine($"auto: {DeviceKinds.Name(chosen.Kind)}");
        return 0;
    }
}
