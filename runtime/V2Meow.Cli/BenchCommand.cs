using System.Globalization;
using V2Meow.Benchmarking;
using V2Meow.Runtime.Backends;

namespace V2Meow.Cli;

/// <summary>
/// <c>v2meow bench</c>: the runtime and the PyTorch reference side by side on one bundle of either family, in
/// one run (see <see cref="SideBySide"/>); prints one table. Progress goes to stderr, the table to stdout. A missing
/// Python/PyTorch is exit 2 with one <c>error:</c> line saying how to install it.
/// </summary>
public static class BenchCommand
{
    public const string Usage = """
        usage: v2meow bench [--bundle DIR | --size SIZE] [--device auto|cpu|cuda] [--decode N] [--threads N]
                            [--prefill N] [--batch N] [--repeats N] [--codec-seconds S] [--python PATH] [--cache DIR] [--no-pytorch] [--no-onnx]
          --bundle     a v2meow/1 bundle (its three stages and codec) or a vmas/1 bundle (video encoder, music decoder, codec)
          --size       tiny, small, paper, vmas-tiny, vmas-small or vmas-paper: a bench bundle from
                       weights-spec/examples/SIZE.json, random weights (seed 1), exported once into the cache
                       (--cache, V2MEOW_BENCH_CACHE or ~/.cache/v2meow/bench); default small
          --decode     decode steps per stage (default 64); --batch the batched decode (default 8)
          --prefill    teacher-forced positions per stage (default: the whole window)
          --threads    CPU threads of both sides (default: every core)
          --repeats    timed runs after one warm-up, best kept (default 3)
          --no-pytorch runtime figures only
          --no-onnx    no ONNX Runtime column (by default, for v2meow/1 on the CPU, the reference is exported to ONNX and run by ONNX Runtime)
        """;

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Any(a => a is "-h" or "--help"))
        {
            output.WriteLine(Usage);
            return 0;
        }
        var options = Parse(args);
        ISideBySideReport report;
        try
        {
            report = SideBySide.Run(options, line => error.WriteLine($"bench: {line}"));
        }
        catch (BenchmarkException e)
        {
            error.WriteLine($"error: {e.Message.ReplaceLineEndings(" ").Trim()}");
            return 2;
        }
        output.Write(report.Format());
        return 0;
    }

    static SideBySideOptions Parse(string[] args)
    {
        var options = new SideBySideOptions();
        string? size = null, bundle = null;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i], value;
            int equals = name.IndexOf('=');
            if (name.StartsWith("--", StringComparison.Ordinal) && equals > 0)
            {
                value = name[(equals + 1)..];
                name = name[..equals];
            }
            else if (name is "--no-pytorch" or "--no-onnx") value = "";
            else if (i + 1 < args.Length) value = args[++i];
            else throw new UsageException($"{name} needs a value; {Usage}");

            options = name switch
            {
                "--bundle" => options with { Bundle = bundle = value },
                "--size" => options with { Size = size = value },
                "--device" => options with { Device = Device(value) },
                "--decode" => options with { DecodeSteps = Positive(name, value) },
                "--prefill" => options with { PrefillTokens = Positive(name, value) },
                "--batch" => options with { Batch = Positive(name, value) },
                "--threads" => options with { Threads = Positive(name, value) },
                "--repeats" => options with { Repeats = Positive(name, value) },
                "--codec-seconds" => options with { CodecSeconds = Seconds(value) },
                "--python" => options with { Python = value },
                "--cache" => options with { Cache = value },
                "--no-pytorch" => options with { SkipReference = true },
                "--no-onnx" => options with { SkipOnnxRuntime = true },
                _ => throw new UsageException($"unknown option '{name}'; {Usage}"),
            };
        }
        if (size is not null && bundle is not null) throw new UsageException($"give --bundle or --size, not both; {Usage}");
        if (size is not null && !BenchBundles.Sizes.Contains(size))
            throw new UsageException($"unknown size '{size}'; expected {string.Join(", ", BenchBundles.Sizes)}");
        return size is null && bundle is null ? options with { Size = "small" } : options;
    }

    static DeviceKind Device(string value) => value switch
    {
        "auto" => DeviceKind.Auto,
        "cpu" => DeviceKind.Cpu,
        "cuda" => DeviceKind.Cuda,
        _ => throw new UsageException($"--device {value}: the side-by-side runs on auto, cpu or cuda (where PyTorch runs too)"),
    };

    static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n : throw new UsageException($"{name} {value}: expected a whole number ≥ 1");

    static double Seconds(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 && double.IsFinite(s)
            ? s : throw new UsageException($"--codec-seconds {value}: expected a number of seconds > 0");
}
