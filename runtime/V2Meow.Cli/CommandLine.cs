using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;
using V2Meow.Loaders.Video;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Batch;

namespace V2Meow.Cli;

/// <summary>Dispatches subcommands and turns expected failures into one <c>error: …</c> line and exit code 2.</summary>
public static class CommandLine
{
    public const string Usage = """
        usage: v2meow <command> [options]

        commands:
          generate VIDEO [...]   music for a video: a .wav, or the video with the music muxed in; --model v2meow|vmas (see `v2meow generate --help`)
          batch MANIFEST [...]   generate for every video of a manifest, resumable and shardable (see `v2meow batch --help`)
          score VIDEO AUDIO      how well music fits its video: beat scores and AV-Align (see `v2meow score --help`)
          match VIDEO AUDIO...   rank recordings for a video with a VMAs model's contrastive projections (see `v2meow match --help`)
          codec encode|decode|roundtrip IN -o OUT   audio → codes → audio with a bundle's codec (see `v2meow codec --help`)
          inspect PATH           list the tensors and metadata of a .safetensors file or bundle folder, validating everything
          devices                list the devices this machine offers
          verify BUNDLE GOLDEN   run a golden file's recorded inputs and compare every tensor (--device auto|cpu|ilgpu-cpu|cuda|opencl)
          bench                  the runtime beside PyTorch on one bundle: tokens/s per stage, bandwidth floor (`v2meow bench --help`)
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            output.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            return args[0] switch
            {
                "generate" when args.Length > 1 && args[1] is "-h" or "--help" => Help(output, GenerateCommand.Usage),
                "generate" => await GenerateCommand.RunAsync(args[1..], output, error, cancellationToken),
                "batch" when args.Length > 1 && args[1] is "-h" or "--help" => Help(output, BatchCommand.Usage),
                "batch" => await BatchCommand.RunAsync(args[1..], output, error, cancellationToken),
                "score" when args.Length > 1 && args[1] is "-h" or "--help" => Help(output, ScoreCommand.Usage),
                "score" => await ScoreCommand.RunAsync(args[1..], output, cancellationToken),
                "match" when args.Length > 1 && args[1] is "-h" or "--help" => Help(output, MatchCommand.Usage),
                "match" => await MatchCommand.RunAsync(args[1..], output, error, cancellationToken),
                "codec" when args.Length > 1 && args[1] is "-h" or "--help" => Help(output, CodecCommand.Usage),
                "codec" => await CodecCommand.RunAsync(args[1..], output, error, cancellationToken),
                "inspect" => InspectCommand.Run(args[1..], output),
                "devices" => DevicesCommand.Run(args[1..], output),
                "verify" => VerifyCommand.Run(args[1..], output),
                "bench" => BenchCommand.Run(args[1..], output, error),
                _ => throw new UsageException($"unknown command '{args[0]}'; run `v2meow --help`"),
            };
        }
        catch (Exception e) when (IsExpected(e))
        {
            error.WriteLine($"error: {OneLine(e.Message)}");
            return 2;
        }
        finally
        {
            await output.FlushAsync();
        }
    }

    static int Help(TextWriter output, string usage)
    {
        output.WriteLine(usage);
        return 0;
    }

    static bool IsExpected(Exception e) => e is UsageException or SafetensorsFormatException or BundleException or MediaException or BatchException
        or DeviceException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException
        or OperationCanceledException;

    static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}

/// <summary>Wrong arguments on the command line.</summary>
public sealed class UsageException(string message) : Exception(message);
