using System.Globalization;
using V2Meow.Loaders.Audio;
using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Files;
using V2Meow.Runtime;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Codecs;

namespace V2Meow.Cli;

/// <summary>
/// <c>v2meow codec encode|decode|roundtrip</c>: a bundle's codec on its own, a thin shell over <see cref="CodecModel"/>.
/// encode turns any ffmpeg-readable audio (or a video's soundtrack) into a codes file (SPEC §9.3), decode turns a
/// codes file into a WAV, roundtrip does both. Every output is checked before any work, and written whole or not at all.
/// </summary>
public static class CodecCommand
{
    public const string Usage = """
        usage: v2meow codec encode IN -o CODES.safetensors [--bundle DIR] [--levels N] [--device D] [--max-seconds S]
               v2meow codec decode CODES.safetensors -o OUT.wav [--bundle DIR] [--device D]
               v2meow codec roundtrip IN -o OUT.wav [--bundle DIR] [--levels N] [--device D] [--max-seconds S]
          IN            any audio ffmpeg reads, or a video's audio track; mixed to mono, resampled to the codec's rate
          --bundle      the bundle whose codec runs (default: the embedded model's); encoding needs its
                        codec_encoder.safetensors (weights-spec/SPEC.md §9.3)
          --levels      RVQ levels to keep, 1 to the codec's (default all); fewer is a lower bitrate
          --device      auto|cuda|opencl|ilgpu-cpu|cpu
          --max-seconds longest input accepted (default 7200)
        """;

    static readonly string[] CodesExtensions = [".safetensors"];
    static readonly string[] WavExtensions = [".wav"];

    sealed class Options
    {
        public string? Input, Output, Bundle, Device;
        public int? Levels;
        public double MaxSeconds = AudioReader.DefaultMaxDurationSeconds;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (args.Length == 0) throw new UsageException("codec needs a command: encode, decode or roundtrip\n" + Usage);
        string action = args[0];
        if (action is not ("encode" or "decode" or "roundtrip"))
            throw new UsageException($"unknown codec command '{action}'; expected encode, decode or roundtrip\n{Usage}");
        var o = Parse(args[1..]);
        if (o.Input is null) throw new UsageException($"codec {action} needs an input\n{Usage}");
        if (action == "decode" && o.Levels is not null) throw new UsageException("--levels is for encode and roundtrip; decode uses the levels the codes file has");
        string outputPath = o.Output ?? Path.GetFileNameWithoutExtension(o.Input) + action switch
        {
            "encode" => ".codes.safetensors",
            "decode" => ".wav",
            _ => ".roundtrip.wav",
        };
        // Every output is checked before any work: a bad -o found after a long encode wastes it, and an output that
        // is one of the inputs (the recording, the codes, a bundle file) would replace it.
        string?[] inputs = [o.Input, .. BundleFiles(o.Bundle)];
        if (action == "encode") OutputFile.Check(outputPath, inputs, CodesExtensions, "codes");
        else OutputFile.Check(outputPath, inputs, WavExtensions, "audio");

        // A codes file is read and checked before the bundle loads: a wrong one fails in milliseconds.
        var codes = action == "decode" ? CodesFile.Load(o.Input) : null;
        if (action != "decode" && !File.Exists(o.Input)) throw new UsageException($"{o.Input}: no such file");

        var device = DeviceKinds.Resolve(o.Device);
        string folder = o.Bundle ?? DefaultModel.EnsureUnpacked();
        // A bundle without an encoder is named before anything loads (a missing folder is the loader's error).
        if (action != "decode" && Directory.Exists(folder) && !File.Exists(Path.Combine(folder, CodecEncoderLayout.Component + ".safetensors")))
            throw CodecEncoders.Missing(folder);
        if (o.Bundle is null) error.WriteLine($"using the {DefaultModel.Label}");
        using var codec = CodecModel.Load(folder, device);
        error.WriteLine($"device: {codec.Device.Name} ({DeviceKinds.Name(codec.Device.Kind)}); codec of '{codec.ModelName}': " +
            $"{codec.SampleRate} Hz, {codec.Levels} levels of {codec.CodebookSize} codes, {codec.Hop} samples a frame");
        if (o.Levels is { } levels && (levels < 1 || levels > codec.Levels))
            throw new UsageException($"--levels {levels}: this codec has {codec.Levels} levels; give 1 to {codec.Levels}");

        switch (action)
        {
            case "encode":
                {
                    var encoded = await codec.EncodeAsync(o.Input, o.Levels, o.MaxSeconds, cancellationToken);
                    CodesFile.Save(outputPath, encoded);
                    output.WriteLine($"wrote {outputPath} ({encoded.Codes.Levels} levels × {encoded.Codes.Frames} frames " +
                        $"of {F2(encoded.DurationSeconds)} s at {encoded.SampleRate} Hz, {F1(Kilobits(codec, encoded.Codes.Levels))} kbit/s)");
                    break;
                }
            case "decode":
                {
                    CheckCompatible(codes!, o.Input, codec);
                    if (codes!.Bundle != codec.ModelName)
                        error.WriteLine($"note: {o.Input} was made by the codec of '{codes.Bundle}'; decoding with '{codec.ModelName}'");
                    float[] waveform = await codec.DecodeAsync(codes, cancellationToken);
                    WavWriter.Write(outputPath, waveform, codec.SampleRate);
                    output.WriteLine($"wrote {outputPath} ({F2(waveform.Length / (double)codec.SampleRate)} s at {codec.SampleRate} Hz from " +
                        $"{codes.Codes.Levels} levels × {codes.Codes.Frames} frames)");
                    break;
                }
            default:
                {
                    var encoded = await codec.EncodeAsync(o.Input, o.Levels, o.MaxSeconds, cancellationToken);
                    float[] waveform = await codec.DecodeAsync(encoded, cancellationToken);
                    WavWriter.Write(outputPath, waveform, codec.SampleRate);
                    output.WriteLine($"wrote {outputPath} ({F2(encoded.DurationSeconds)} s at {codec.SampleRate} Hz through " +
                        $"{encoded.Codes.Levels} levels, {F1(Kilobits(codec, encoded.Codes.Levels))} kbit/s)");
                    break;
                }
        }
        return 0;
    }

    /// <summary>The codes must be this codec's: its rate, hop and codebook size, at most its levels.</summary>
    static void CheckCompatible(EncodedAudio codes, string path, CodecModel codec)
    {
        if (codes.SampleRate != codec.SampleRate || codes.Hop != codec.Hop)
            throw new UsageException($"{path}: codes of {codes.SampleRate} Hz audio at {codes.Hop} samples a frame; the codec of " +
                $"'{codec.ModelName}' runs at {codec.SampleRate} Hz, {codec.Hop} samples a frame (another bundle's codes?)");
        if (codes.CodebookSize != codec.CodebookSize)
            throw new UsageException($"{path}: codes from a codebook of {codes.CodebookSize}; the codec of '{codec.ModelName}' has {codec.CodebookSize} " +
                "(another bundle's codes?)");
        if (codes.Codes.Levels > codec.Levels)
            throw new UsageException($"{path}: codes of {codes.Codes.Levels} levels; the codec of '{codec.ModelName}' has {codec.Levels}");
    }

    /// <summary>Bitrate of <paramref name="levels"/> levels: frames a second × levels × log2(codebook size), in kbit/s.</summary>
    static double Kilobits(CodecModel codec, int levels) =>
        (double)codec.SampleRate / codec.Hop * levels * Math.Log2(codec.CodebookSize) / 1000;

    static string F1(double value) => value.ToString("F1", CultureInfo.InvariantCulture);

    static string F2(double value) => value.ToString("F2", CultureInfo.InvariantCulture);

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
                case "--device": o.Device = Value(); break;
                case "--levels":
                    string levels = Value();
                    o.Levels = int.TryParse(levels, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1
                        ? n : throw new UsageException($"--levels: '{levels}' is not a whole number >= 1");
                    break;
                case "--max-seconds":
                    string seconds = Value();
                    o.MaxSeconds = double.TryParse(seconds, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && double.IsFinite(s) && s > 0
                        ? s : throw new UsageException($"--max-seconds: '{seconds}' is not a number of seconds > 0");
                    break;
                default:
                    if (a.StartsWith('-') && a.Length > 1) throw new UsageException($"unknown option {a}\n{Usage}");
                    if (o.Input is not null) throw new UsageException($"one input at a time; got '{o.Input}' and '{a}'");
                    o.Input = a;
                    break;
            }
        }
        return o;
    }

    /// <summary>The files of a bundle folder, which an output must not replace either.</summary>
    static IEnumerable<string> BundleFiles(string? bundle) =>
        bundle is not null && Directory.Exists(bundle) ? Directory.EnumerateFiles(bundle) : [];
}
