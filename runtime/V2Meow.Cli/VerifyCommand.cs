using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Verification;
using V2Meow.Runtime;

namespace V2Meow.Cli;

/// <summary>
/// <c>v2meow verify BUNDLE GOLDEN [--device …]</c>: runs every recorded input of a golden file through the
/// runtime and prints, per tensor, the max absolute and max relative error (max|a − b| / max(max|b|, 1e-6),
/// b the golden). Exit 0 when all are within tolerance, 1 naming the worst tensor otherwise; unreadable
/// input is exit 2 like every other command.
/// </summary>
public static class VerifyCommand
{
    public const string Usage = "usage: v2meow verify BUNDLE GOLDEN [--device auto|cpu|ilgpu-cpu|cuda|opencl]";

    public static int Run(string[] args, TextWriter output)
    {
        string? device = null;
        var positional = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--device")
            {
                if (i + 1 >= args.Length) throw new UsageException(Usage);
                device = args[++i];
            }
            else if (args[i].StartsWith("--device=", StringComparison.Ordinal)) device = args[i]["--device=".Length..];
            else if (args[i].StartsWith('-')) throw new UsageException($"unknown option '{args[i]}'; {Usage}");
            else positional.Add(args[i]);
        }
        if (positional.Count != 2) throw new UsageException(Usage);

        var family = ModelFamilies.Of(positional[0]);
        using var backend = DeviceCatalog.Open(DeviceKinds.Resolve(device));
        output.WriteLine($"device: {backend.Device.Name} ({DeviceKinds.Name(backend.Kind)}); family {family.Format}");
        var report = family.CreateVerifier().Verify(positional[0], positional[1], backend, line => output.WriteLine(line));
        foreach (var component in report.Unverified)
            output.WriteLine($"{component}: not verified by this build");
        output.WriteLine($"relative error = max|a − b| / max(max|b|, {TensorComparison.Floor:0e0}) per tensor, b the golden; " +
            $"float tolerance {report.Tolerance:0e0} for this bundle's weights, integer tensors exact");
        if (report.Comparisons.Count == 0)
        {
            output.WriteLine("nothing verified: the golden holds no tensors this build checks");
            return 1;
        }
        var worst = report.Worst!;
        if (report.Passes)
        {
            output.WriteLine($"ok: {report.Comparisons.Count} tensors within tolerance; largest relative error {worst.RelativeError:E2} ({worst.Name})");
            return 0;
        }
        int failing = report.Comparisons.Count(c => !c.Passes);
        output.WriteLine($"FAIL: {failing} of {report.Comparisons.Count} tensors exceed tolerance; worst {worst.Name}: relative error {worst.RelativeError:E2} > {worst.Tolerance:0e0}");
        return 1;
    }
}
