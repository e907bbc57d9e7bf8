using System.Globalization;
using V2Meow.Loaders.Video;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Batch;
using V2Meow.Runtime.Generation;

namespace V2Meow.Cli;

/// <summary>
/// <c>v2meow batch MANIFEST</c>: a thin shell over <see cref="BatchRunner"/> that parses options, picks the
/// shard, shows progress and says how it went. Exit code 0 when every item of the shard is complete, 1 when
/// any item failed (each has its line in the results file), 2 when the batch cannot run at all, 130 when
/// interrupted (re-running the same command resumes).
/// </summary>
public static class BatchCommand
{
    public const string Usage = """
        usage: v2meow batch MANIFEST [--shard I/N | --shards N] [--results FILE] [--score]
                            [--model NAME|--bundle DIR] [--device auto|cuda|opencl|ilgpu-cpu|cpu]
                            [--temperatures T1,T2,T3] [--top-k N] [--max-seconds S] [--prefetch N]
          MANIFEST     JSON Lines or CSV, one video per line: video, output (required); seed, prompt or style,
                       model, candidates, id, features (optional); paths relative to the manifest's folder
          --shard I/N  run shard I (0 to N-1) of N: the items at positions I, I+N, I+2N, ...
          --shards N   N shards, this one's index from the scheduler: JOB_COMPLETION_INDEX (Kubernetes Indexed
                       Job); under a Slurm array (SLURM_ARRAY_TASK_ID/_COUNT) neither option is needed
          --results    the results file (JSON Lines; default MANIFEST-NAME.results[.I-of-N].jsonl beside it)
          --score      add each output's beat scores and AV-Align to its results line
          --model      the model of items that name none: a name (default, v2meow, vmas) or a bundle folder
          --prefetch   items decoding their video while another generates (default 1; 0 for none)
        Re-running the same command resumes: complete items are skipped, failed and unfinished ones run again.
        Exit code: 0 all complete, 1 some failed (see the results file), 2 cannot run, 130 interrupted.
        """;

    /// <summary>Exit code when any item failed.</summary>
    public const int SomeFailed = 1;
    /// <summary>Exit code when interrupted (128 + SIGINT).</summary>
    public const int Interrupted = 130;

    sealed class Options
    {
        public string? Manifest, Results, Model, Device, Shard;
        public int? Shards;
        public bool Score;
        public int TopK, Prefetch = 1;
        public double MaxSeconds = VideoProbe.DefaultMaxDurationSeconds;
        public double?[] Temperatures = [null, null, null];
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken,
        Func<string, string?>? environment = null)
    {
        var o = Parse(args);
        if (o.Manifest is null) throw new UsageException("batch needs a MANIFEST\n" + Usage);
        if (o.Shard is not null && o.Shards is not null) throw new UsageException("give --shard I/N or --shards N, not both");
        var shard = o.Shard is not null ? ShardSpec.Parse(o.Shard) : ShardSpec.FromEnvironment(o.Shards, environment);
        var manifest = Manifest.Read(o.Manifest);
        var options = new BatchOptions
        {
            Device = DeviceKinds.Resolve(o.Device, environment),
            Model = o.Model,
            Shard = shard,
            ResultsPath = o.Results,
            Score = o.Score,
            MaxDurationSeconds = o.MaxSeconds,
            Prefetch = o.Prefetch,
            Generation = new GenerationOptions
            {
                TopK = o.TopK,
                Stage1Temperature = o.Temperatures[0],
                Stage2Temperature = o.Temperatures[1],
                Stage3Temperature = o.Temperatures[2],
            },
        };
        int mine = manifest.Items.Count(shard.Contains);
        error.WriteLine(shard.IsSharded
            ? $"{manifest.Items.Count} items in {manifest.Path}; shard {shard} ({shard.Source}) runs {mine} of them"
            : $"{manifest.Items.Count} items in {manifest.Path}");
        if (o.Model is null && manifest.Items.Any(i => i.Model is null)) error.WriteLine($"items without a model use the {V2Meow.Runtime.DefaultModel.Label}");

        var display = new BatchDisplay(error, o.Score);
        BatchSummary summary;
        try
        {
            summary = await BatchRunner.RunAsync(manifest, options, display, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            display.Finish();
            error.WriteLine($"interrupted: {display.Completed} of {mine} items complete, nothing half written; " +
                "run the same command again to resume");
            return Interrupted;
        }
        display.Finish();
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"{summary.Total} items: {summary.Succeeded} written, {summary.Failed} failed, " +
            $"{summary.Skipped} already complete ({summary.Elapsed.TotalSeconds:F1} s)"));
        output.WriteLine($"results: {summary.ResultsPath}");
        if (summary.Failed > 0)
        {
            output.WriteLine($"{summary.Failed} items failed; their errors are in the results file. Fix them and run the same command again.");
            return SomeFailed;
        }
        return 0;
    }

    static Options Parse(string[] args)
    {
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{a} needs a value\n{Usage}");
            switch (a)
            {
                case "--shard": o.Shard = Value(); break;
                case "--shards":
                    o.Shards = Number<int>(a, Value());
                    if (o.Shards is < 1 or > ShardSpec.MaxCount) throw new UsageException($"--shards must be from 1 to {ShardSpec.MaxCount}");
                    break;
                case "--results": o.Results = Value(); break;
                case "--score": o.Score = true; break;
                case "--model" or "--bundle":
                    if (o.Model is not null) throw new UsageException("give one --model or --bundle");
                    o.Model = Value();
                    break;
                case "--device": o.Device = Value(); break;
                case "--top-k":
                    o.TopK = Number<int>(a, Value());
                    if (o.TopK < 0) throw new UsageException("--top-k must be 0 (off) or more");
                    break;
                case "--prefetch":
                    o.Prefetch = Number<int>(a, Value());
                    if (o.Prefetch is < 0 or > 16) throw new UsageException("--prefetch must be from 0 to 16");
                    break;
                case "--max-seconds":
                    o.MaxSeconds = Number<double>(a, Value());
                    if (!double.IsFinite(o.MaxSeconds) || o.MaxSeconds < VideoProbe.MinDurationSeconds)
                        throw new UsageException($"--max-seconds must be a number of seconds >= {VideoProbe.MinDurationSeconds}");
                    break;
                case "--temperatures": o.Temperatures = GenerateCommand.ParseTemperatures(Value()); break;
                default:
                    if (a.StartsWith('-')) throw new UsageException($"unknown option {a}\n{Usage}");
                    if (o.Manifest is not null) throw new UsageException($"one MANIFEST at a time; got '{o.Manifest}' and '{a}'");
                    o.Manifest = a;
                    break;
            }
        }
        return o;
    }

    static T Number<T>(string option, string text) where T : IParsable<T> =>
        T.TryParse(text, CultureInfo.InvariantCulture, out var value) ? value : throw new UsageException($"{option}: '{text}' is not a valid number");
}
