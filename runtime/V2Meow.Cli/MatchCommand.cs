using System.Globalization;
using V2Meow.Loaders.Video;
using V2Meow.Runtime;
using V2Meow.Runtime.Backends;

namespace V2Meow.Cli;

/// <summary>
/// <c>v2meow match VIDEO AUDIO…</c>: ranks recordings for a video with a VMAs bundle's contrastive projections
/// (weights-spec/VMAS.md §14), one line per recording, best first; a thin shell over <see cref="MatchModel"/>.
/// </summary>
public static class MatchCommand
{
    public const string Usage = """
        usage: v2meow match VIDEO AUDIO [AUDIO …] [--bundle DIR | --model NAME] [--device D] [--max-seconds S]
          AUDIO         any audio ffmpeg reads, or a video's soundtrack; mixed to mono, resampled to the codec's rate
          --bundle      a vmas/1 bundle with contrastive.safetensors and codec_encoder.safetensors (VMAS.md §14)
          --model       an embedded model by name; default: the embedded VMAs model (vmas)
          --device      auto|cuda|opencl|ilgpu-cpu|cpu
          --max-seconds longest video or recording accepted (default 7200)
        Prints one line per recording, highest cosine similarity (−1 to 1) first: rank, similarity, path.
        """;

    sealed class Options
    {
        public string? Video, Bundle, Model, Device;
        public List<string> Audio = [];
        public double MaxSeconds = VideoProbe.DefaultMaxDurationSeconds;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var o = Parse(args);
        if (o.Video is null || o.Audio.Count == 0) throw new UsageException("match needs a VIDEO and at least one AUDIO\n" + Usage);
        // Every input is checked before the bundle loads: a typo fails in milliseconds, not after the video is encoded.
        foreach (string path in o.Audio.Prepend(o.Video))
            if (!File.Exists(path)) throw new UsageException($"{path}: no such file");

        var device = DeviceKinds.Resolve(o.Device);
        string folder = o.Bundle ?? EmbeddedModel(o.Model, error);
        using var matcher = MatchModel.Load(folder, device);
        error.WriteLine($"device: {matcher.Device.Name} ({DeviceKinds.Name(matcher.Device.Kind)}); contrastive projections of '{matcher.ModelName}'");
        var ranking = await matcher.RankAsync(o.Video, o.Audio, null, o.MaxSeconds, cancellationToken);
        for (int i = 0; i < ranking.Count; i++)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{i + 1,3}  {ranking[i].Similarity,7:F4}  {ranking[i].AudioPath}"));
        return 0;
    }

    /// <summary>
    /// The bundle folder of the embedded model named by --model (the embedded VMAs model without it): only a VMAs
    /// model has contrastive projections, so any other is an error saying what to pass instead.
    /// </summary>
    static string EmbeddedModel(string? model, TextWriter error)
    {
        const string Instead = "pass --bundle DIR with a vmas/1 bundle that has contrastive.safetensors (weights-spec/VMAS.md §14)";
        var embedded = EmbeddedModels.Named(model ?? "vmas")
            ?? throw new UsageException(model is null or "vmas"
                ? $"this build embeds no VMAs model; {Instead}"
                : $"--model {model}: unknown model; this build embeds {string.Join(", ", EmbeddedModels.All.Select(m => $"'{m.Family}'"))}");
        if (embedded.Family != "vmas")
            throw new UsageException($"--model {model}: the {embedded.Label} is a V2Meow model and has no contrastive projections; {Instead}");
        error.WriteLine($"using the {embedded.Label}");
        return embedded.EnsureUnpacked();
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
                case "--bundle": o.Bundle = Value(); break;
                case "--model": o.Model = Value(); break;
                case "--device": o.Device = Value(); break;
                case "--max-seconds":
                    string seconds = Value();
                    o.MaxSeconds = double.TryParse(seconds, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && double.IsFinite(s) && s > 0
                        ? s : throw new UsageException($"--max-seconds: '{seconds}' is not a number of seconds > 0");
                    break;
                default:
                    if (a.StartsWith('-') && a.Length > 1) throw new UsageException($"unknown option {a}\n{Usage}");
                    if (o.Video is null) o.Video = a;
                    else o.Audio.Add(a);
                    break;
            }
        }
        if (o.Bundle is not null && o.Model is not null) throw new UsageException("give --bundle or --model, not both");
        return o;
    }
}
