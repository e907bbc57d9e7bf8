using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Generation;

namespace V2Meow.Runtime;

/// <summary>
/// A loaded model of any family: video in, music out. Every family's pipeline offers the same calls, so an
/// app written against this interface runs any bundle <see cref="MusicModel.Load"/> opens. Load once and
/// generate as often as you like; safe to share between threads (generations queue for the device, and the
/// same seed gives the same audio whatever else runs). Disposing frees the device memory.
/// </summary>
public interface IMusicPipeline : IDisposable
{
    /// <summary>The family that runs this bundle.</summary>
    ModelFamily Family { get; }
    /// <summary>The bundle's name field (config.json).</summary>
    string ModelName { get; }
    /// <summary>The bundle folder the model was loaded from.</summary>
    string BundleFolder { get; }
    /// <summary>The device the model runs on.</summary>
    DeviceInfo Device { get; }
    /// <summary>Audio samples per second of the generated waveforms (config.json rates.sample_rate).</summary>
    int SampleRate { get; }
    /// <summary>The bundle's text tower, or null: <see cref="VideoInput.Prompt"/> needs one.</summary>
    TextTower? TextTower { get; }

    /// <summary>
    /// Music for <paramref name="input"/>: one waveform per candidate, exactly as long as the video, with the
    /// time each part took. Reports progress per window; <paramref name="cancellationToken"/> stops it
    /// between windows.
    /// </summary>
    Task<GenerationResult> GenerateAsync(VideoInput input, GenerationOptions? options = null,
        IProgress<GenerationProgress>? progress = null, CancellationToken cancellationToken = default);
}
