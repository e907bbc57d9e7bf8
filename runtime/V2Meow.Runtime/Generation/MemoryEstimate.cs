using System.Globalization;
using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Generation;

/// <summary>
/// What one generation holds in memory, estimated before any work so that too many candidates or too long
/// a video is refused at once instead of growing until the machine gives out. Counted per candidate: the
/// waveform twice (decoded, then cut to length), the acoustic codes three times (coarse, fine, stacked),
/// the semantic tokens, and each stage's key/value cache for one window. An estimate, on the high side;
/// weights and the decoder's scratch are not counted (they do not grow with the request).
/// </summary>
internal static class MemoryEstimate
{
    /// <summary>Estimated bytes for <paramref name="candidates"/> candidates of <paramref name="seconds"/> of music.</summary>
    public static double Bytes(BundleConfig config, double seconds, int candidates)
    {
        var rates = config.Rates;
        double samples = seconds * rates.SampleRate;
        double frames = seconds * rates.AcousticHz;
        double semantic = seconds * rates.SemanticHz;
        double perCandidate = 2 * 4 * samples + 3 * 4 * frames * config.TotalLevels + 4 * semantic;

        var windows = config.Windows;
        perCandidate += Cache(config.Stage1, windows.Stage1Seconds * (rates.SemanticHz + rates.VideoFps));
        perCandidate += Cache(config.Stage2, windows.Stage2Seconds * (rates.SemanticHz + rates.AcousticHz * config.Tokens.CoarseLevels + rates.VideoFps));
        perCandidate += Cache(config.Stage3, windows.Stage3Seconds * rates.AcousticHz * config.TotalLevels);
        return perCandidate * candidates;

        // Keys and values of every decoder layer over a window's positions, float32.
        static double Cache(TransformerConfig stage, double positions) => 2.0 * 4 * stage.DecoderLayers * stage.Inner * positions;
    }

    /// <summary>Throws the <see cref="DeviceException"/> when the estimate exceeds <paramref name="availableBytes"/>.</summary>
    public static void Check(BundleConfig config, double seconds, int candidates, long availableBytes)
    {
        double needed = Bytes(config, seconds, candidates);
        if (needed > availableBytes)
            throw new DeviceException(string.Create(CultureInfo.InvariantCulture,
                $"{candidates} candidate(s) of {seconds:0.##} s need about {needed / (1 << 30):0.#} GiB of memory, " +
                $"and {availableBytes / (double)(1 << 30):0.#} GiB is available; use fewer candidates or a shorter video"));
    }

    /// <summary>The memory this process may use: the machine's, or its container's limit.</summary>
    public static long AvailableBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
}
