using System.Globalization;
using V2Meow.Loaders.Files;
using V2Meow.Loaders.Video;
using V2Meow.Runtime;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Generation;

namespace V2Meow.Cli;

/// <summary>
/// <c>v2meow generate VIDEO [-o OUT] …</c>: a thin shell over <see cref="MusicModel"/> that parses
/// options, shows progress and prints the per-stage table.
/// </summary>
public static class GenerateCommand
{
    public const string Usage = """
        usage: v2meow generate VIDEO [-o OUT.wav|OUT.mp4] [--model NAME | --bundle DIR] [--features [STREAM=]FILE …]
                               [--style-embedding FILE] [--prompt TEXT] [--seed N] [--candidates N]
                               [--temperatures T1,T2,T3] [--temperature T] [--top-k N] [--guidance G]
                               [--device auto|cuda|opencl|ilgpu-cpu|cpu] [--max-seconds S] [--timings]
          --model       an embedded model: v2meow (the default) or vmas, or a bundle folder
          --candidates  1 to 64 candidates, written as OUT.0.wav, OUT.1.wav, …
          --temperatures  V2Meow: one temperature per stage; --temperature: VMAs' one temperature
          --guidance    VMAs: classifier-free guidance scale (1 = off; default: the bundle's, 3.0)
          --max-seconds longest video accepted (default 7200): a damaged header can claim any length
          --timings     also print the wall time of every phase, from the process's start to the output written
        """;

    sealed class Options
    {
        public string? Video, Output, Bundle, Model, StyleEmbedding, Prompt, Device;
        public Dictionary<string, string> Features = new(StringComparer.Ordinal);
        public ulong Seed;
        public int Candidates = 1;
        public int? TopK;
        public double? Temperature, Guidance;
        public double MaxSeconds = VideoProbe.DefaultMaxDurationSeconds;
        public double?[] Temperatures = [null, null, null];
        public bool Timings;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var o = Parse(args);
        var clock = o.Timings ? new PhaseClock() : null;
        if (o.Video is null) throw new UsageException("generate needs a VIDEO\n" + Usage);
        if (o.Bundle is not null && o.Model is not null) throw new UsageException("give --bundle or --model, not both");
        string outputPath = o.Output ?? Path.GetFileNameWithoutExtension(o.Video) + ".music.wav";
        if (!File.Exists(o.Video)) throw new UsageException($"{o.Video}: no such file");
        // Every output is checked before any work: a bad -o found after a long generation wastes it all,
        // and an output that is one of the inputs would replace it.
        string?[] inputs = [o.Video, o.StyleEmbedding, .. o.Features.Values, .. BundleFiles(o.Bundle ?? o.Model)];
        for (int b = 0; b < o.Candidates; b++) OutputFile.Check(MusicWriter.PathFor(outputPath, b, o.Candidates), inputs);

        var device = DeviceKinds.Resolve(o.Device);
        string bundle = o.Bundle ?? ModelFolder(o.Model ?? "default", error);
        using var pipeline = MusicModel.Load(bundle, device);
        if (o.Prompt is not null && pipeline.TextTower is null)
            throw new UsageException($"--prompt needs a bundle with a text tower; {pipeline.BundleFolder} has none. " +
                "Pass a style embedding instead: --style-embedding FILE (a .npy of the bundle's style_dim floats)");
        error.WriteLine($"device: {pipeline.Device.Name} ({DeviceKinds.Name(pipeline.Device.Kind)})");
        clock?.Lap("device and bundle load");

        if (o.Prompt is not null && o.StyleEmbedding is not null) throw new UsageException("give --prompt or --style-embedding, not both");
        if (o.Prompt is not null)
        {
            try { pipeline.TextTower!.Embed(o.Prompt); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
        }
        var input = new VideoInput
        {
            VideoPath = o.Video, FeatureFiles = o.Features, StyleEmbeddingFile = o.StyleEmbedding, Prompt = o.Prompt,
            MaxDurationSeconds = o.MaxSeconds,
        };
        var options = new GenerationOptions
        {
            Seed = o.Seed,
            Candidates = o.Candidates,
            TopK = o.TopK,
            Temperature = o.Temperature,
            Guidance = o.Guidance,
            Stage1Temperature = o.Temperatures[0],
            Stage2Temperature = o.Temperatures[1],
            Stage3Temperature = o.Temperatures[2],
        };
        var progress = new ProgressDisplay(error);
        GenerationResult result;
        // An option the model's family does not take (guidance for V2Meow) is a usage error, not a crash.
        try { result = await pipeline.GenerateAsync(input, options, progress, cancellationToken); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        progress.Finish();
        clock?.LapGeneration(result.Timings);

        for (int b = 0; b < result.Candidates; b++)
        {
            string path = MusicWriter.PathFor(outputPath, b, result.Candidates);
            await MusicWriter.WriteAsync(result, b, path, o.Video, cancellationToken);
            output.WriteLine($"wrote {path} ({result.DurationSeconds:F2} s at {result.SampleRate} Hz)");
        }
        clock?.Lap("write output");
        PrintTimings(result, output);
        clock?.Write(output);
        return 0;
    }

    /// <summary>
    /// The bundle folder --model names (<see cref="MusicModel.FindBundle"/>: a folder, else an embedded model), saying
    /// which embedded model it is; a name this build does not know is a usage error listing the ones it does.
    /// </summary>
    static string ModelFolder(string model, TextWriter error)
    {
        if (!Directory.Exists(model) && EmbeddedModels.Named(model) is { } embedded)
        {
            error.WriteLine($"using the {embedded.Label}");
            return embedded.EnsureUnpacked();
        }
        try { return MusicModel.FindBundle(model); }
        catch (V2Meow.Loaders.Bundles.BundleException e) { throw new UsageException($"--model: {e.Message}"); }
    }

    static void PrintTimings(GenerationResult result, TextWriter output)
    {
        output.WriteLine($"{"stage",-12} {"time (s)",9} {"work",12} {"per second",12}");
        foreach (var t in result.Timings)
            output.WriteLine($"{t.Stage,-12} {t.Elapsed.TotalSeconds,9:F2} {t.Tokens,12} {t.PerSecond,12:F0} {t.Unit}/s");
        double total = result.Timings.Sum(t => t.Elapsed.TotalSeconds);
        output.WriteLine($"{"total",-12} {total,9:F2}   {result.DurationSeconds / total:F2} s of music per second");
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
                case "-o" or "--output": o.Output = Value(); break;
                case "--bundle": o.Bundle = Value(); break;
                case "--model": o.Model = Value(); break;
                case "--style-embedding": o.StyleEmbedding = Value(); break;
                case "--prompt": o.Prompt = Value(); break;
                case "--device": o.Device = Value(); break;
                case "--timings": o.Timings = true; break;
                case "--seed": o.Seed = ParseNumber<ulong>(a, Value()); break;
                case "--candidates":
                    o.Candidates = ParseNumber<int>(a, Value());
                    if (o.Candidates is < 1 or > GenerationOptions.MaxCandidates)
                        throw new UsageException($"--candidates must be from 1 to {GenerationOptions.MaxCandidates}");
                    break;
                case "--max-seconds":
                    o.MaxSeconds = ParseNumber<double>(a, Value());
                    if (!double.IsFinite(o.MaxSeconds) || o.MaxSeconds < VideoProbe.MinDurationSeconds)
                        throw new UsageException($"--max-seconds must be a number of seconds >= {VideoProbe.MinDurationSeconds}");
                    break;
                case "--top-k":
                    o.TopK = ParseNumber<int>(a, Value());
                    if (o.TopK < 0) throw new UsageException("--top-k must be 0 (off) or more");
                    break;
                case "--temperatures": o.Temperatures = ParseTemperatures(Value()); break;
                case "--temperature":
                    o.Temperature = ParseNumber<double>(a, Value());
                    if (!double.IsFinite(o.Temperature.Value) || o.Temperature < 0) throw new UsageException("--temperature must be a number >= 0");
                    break;
                case "--guidance":
                    o.Guidance = ParseNumber<double>(a, Value());
                    if (!double.IsFinite(o.Guidance.Value) || o.Guidance is < 0 or > 100) throw new UsageException("--guidance must be a number from 0 to 100");
                    break;
                case "--features":
                    AddFeature(o, Value());
                    // More files may follow, but only what looks like one (STREAM=FILE, .npy, .safetensors):
                    // "--features a.npy VIDEO" must leave VIDEO to be the video.
                    while (i + 1 < args.Length && IsFeatureArgument(args[i + 1])) AddFeature(o, args[++i]);
                    break;
                default:
                    if (a.StartsWith('-')) throw new UsageException($"unknown option {a}\n{Usage}");
                    if (o.Video is not null) throw new UsageException($"one VIDEO at a time; got '{o.Video}' and '{a}'");
                    o.Video = a;
                    break;
            }
        }
        return o;
    }

    static bool IsFeatureArgument(string argument) =>
        !argument.StartsWith('-') && (argument.Contains('=') ||
            Path.GetExtension(argument).ToLowerInvariant() is ".npy" or ".safetensors");

    /// <summary>The files of a bundle folder, which an output must not replace either.</summary>
    static IEnumerable<string> BundleFiles(string? bundle) =>
        bundle is not null && Directory.Exists(bundle) ? Directory.EnumerateFiles(bundle) : [];

    /// <summary>STREAM=FILE, or FILE whose name (without extension) is the stream's.</summary>
    static void AddFeature(Options o, string value)
    {
        int eq = value.IndexOf('=');
        var (stream, path) = eq > 0 ? (value[..eq], value[(eq + 1)..]) : (Path.GetFileNameWithoutExtension(value), value);
        if (!o.Features.TryAdd(stream, path)) throw new UsageException($"--features: stream '{stream}' given twice");
    }

    internal static double?[] ParseTemperatures(string text)
    {
        var parts = text.Split(',');
        if (parts.Length != 3) throw new UsageException($"--temperatures takes three numbers T1,T2,T3; got '{text}'");
        return parts.Select(p =>
            double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out double t) && double.IsFinite(t) && t >= 0
                ? (double?)t
                : throw new UsageException($"--temperatures: '{p}' is not a number ≥ 0")).ToArray();
    }

    static T ParseNumber<T>(string option, string text) where T : IParsable<T> =>
        T.TryParse(text, CultureInfo.InvariantCulture, out var value) ? value : throw new UsageException($"{option}: '{text}' is not a valid number");
}
