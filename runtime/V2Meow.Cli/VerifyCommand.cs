using V2Meow.Runtime;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Verification;

namespace V2Meow.Cli;

/// <summary>
/// <c>v2meow verify BUNDLE GOLDEN [--device …]</c>: runs every recorded input of a golden file through the
/// runtime and prints, per tensor, the runtime's error and PyTorch-float32's error against the golden's
/// float64 evaluation, their ratio and the limit the rule allows (<see cref="GoldenTolerance"/>), integer
/// tensors exact. Exit 0 when all pass, 1 naming the worst tensor otherwise; unreadable input is exit 2 like
/// every other command.
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
        output.WriteLine(TensorComparison.Header);
        var report = family.CreateVerifier().Verify(positional[0], positional[1], backend, line => output.WriteLine(line));
        foreach (var component in report.Unverified)
            output.WriteLine($"{component}: not verified by this build");
        foreach (var line in VerificationReport.Legend) output.WriteLine(line);
        output.WriteLine(report.Summary);
        if (report.Comparisons.Count > 0 && report.Passes) return 0;
        return 1;
    }
}
