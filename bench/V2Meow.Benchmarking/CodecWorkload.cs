using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Bundles.Vmas;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Codecs;

namespace V2Meow.Benchmarking;

/// <summary>
/// The codec of a bundle on a backend decoding random codes of every level for a given length of audio,
/// as bench/pytorch/reference_bench.py's bench_codec (reference_bench_vmas.py's for vmas/1) does on the
/// reference. Owns the decoder.
/// </summary>
public sealed class CodecWorkload : IDisposable
{
    readonly ICodecDecoder _decoder;
    readonly int[] _codes;

    public double AudioSeconds { get; }
    public int Frames { get; }
    /// <summary>Samples one <see cref="Decode"/> produces: <see cref="Frames"/> times the codec's hop.</summary>
    public int Samples { get; }
    /// <summary>The codec's weights as the decoder keeps them: every tensor widened to f32.</summary>
    public long WeightBytes { get; }

    CodecWorkload(ICodecDecoder decoder, int[] codes, int frames, int hop, double seconds, long weightBytes)
    {
        _decoder = decoder;
        _codes = codes;
        Frames = frames;
        Samples = frames * hop;
        AudioSeconds = seconds;
        WeightBytes = weightBytes;
    }

    public static CodecWorkload Load(Bundle bundle, IComputeBackend backend, double seconds, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seconds);
        var config = bundle.Config;
        int frames = Math.Max(1, (int)Math.Round(seconds * config.Rates.AcousticHz));
        var random = new Random(seed);
        var codes = new int[config.TotalLevels * frames];
        for (int i = 0; i < codes.Length; i++) codes[i] = random.Next(config.Tokens.CodebookSize);
        long weightBytes = bundle.Component("codec").Tensors.Sum(t => t.ElementCount * sizeof(float));
        return new CodecWorkload(CodecDecoders.Load(bundle, backend), codes, frames, config.Hop, frames / config.Rates.AcousticHz, weightBytes);
    }

    /// <summary>A vmas/1 bundle's codec (VMAS.md §9): K levels of N codes, <c>round(seconds × frame_rate)</c> frames.</summary>
    public static CodecWorkload Load(VmasBundle bundle, IComputeBackend backend, double seconds, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seconds);
        var config = bundle.Config;
        int levels = config.Decoder.Codebooks, frames = Math.Max(1, (int)Math.Round(seconds * config.FrameRate));
        var random = new Random(seed);
        var codes = new int[levels * frames];
        for (int i = 0; i < codes.Length; i++) codes[i] = random.Next(config.Decoder.CodebookSize);
        var file = bundle.Component("codec");
        long weightBytes = file.Tensors.Sum(t => t.ElementCount * sizeof(float));
        var decoder = CodecDecoders.Load(bundle.Folder, config.Codec, levels, config.Decoder.CodebookSize, config.SampleRate, file, backend);
        return new CodecWorkload(decoder, codes, frames, config.Hop, (double)frames / config.FrameRate, weightBytes);
    }

    /// <summary>Decodes every level to the waveform (downloaded, as a caller would); returns its length in samples.</summary>
    public int Decode() => _decoder.Decode(_codes, _decoder.Levels).Length;

    public void Dispose() => _decoder.Dispose();
}
