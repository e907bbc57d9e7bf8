using V2Meow.Loaders.Audio;
using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Bundles.Vmas;
using V2Meow.Loaders.Video;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Codecs;
using V2Meow.Runtime.Families.Vmas;

namespace V2Meow.Runtime;

/// <summary>One recording's place in a ranking: its path and its cosine similarity with the video, in [−1, 1].</summary>
/// <param name="AudioPath">The recording as it was given.</param>
/// <param name="Similarity">The cosine of the video's and the recording's vectors (VMAS.md §14.3); higher matches better.</param>
public sealed record MusicMatch(string AudioPath, double Similarity);

/// <summary>
/// Which music fits a video: VMAs' contrastive projections (VMAS.md §14) rank recordings for a video by the cosine
/// similarity of their vectors, as VMAs' video-to-music retrieval does. Needs a vmas/1 bundle with the optional
/// contrastive component and the codec's encoder (which turns each recording into codes). Load once, rank as often
/// as you like; calls queue for the device one at a time, and disposing frees the device memory.
/// <code>
/// using var matcher = MatchModel.Load("my-vmas-bundle");
/// var ranking = await matcher.RankAsync("clip.mp4", ["a.wav", "b.flac"], cancellationToken: token);   // best first
/// </code>
/// </summary>
public sealed class MatchModel : IDisposable
{
    /// <summary>Frames per chunk of a long recording's encode: bounds the device memory by the chunk.</summary>
    const int ChunkFrames = 1500;

    readonly VmasBundle _bundle;
    readonly IComputeBackend _backend;
    readonly VideoEncoder _encoder;
    readonly ICodecEncoder _codec;
    readonly ContrastiveProjections _projections;
    readonly SemaphoreSlim _device = new(1, 1);
    bool _disposed;

    /// <summary>The bundle's name field (config.json).</summary>
    public string ModelName => _bundle.Config.Name;
    /// <summary>The device the video encoder and the codec's encoder run on.</summary>
    public DeviceInfo Device => _backend.Device;
    /// <summary>E: the width of the vectors <see cref="EmbedVideoAsync"/> and <see cref="EmbedMusicAsync"/> return.</summary>
    public int Dim => _projections.Dim;

    MatchModel(VmasBundle bundle, IComputeBackend backend)
    {
        _bundle = bundle;
        _backend = backend;
        var c = bundle.Config;
        _projections = ContrastiveProjections.Load(bundle);
        _encoder = VideoEncoder.Load(bundle, backend);
        try
        {
            _codec = CodecEncoders.Load(bundle.Folder, c.Codec, c.Decoder.Codebooks, c.Decoder.CodebookSize, c.SampleRate,
                bundle.Component("codec"), bundle.Component(CodecEncoderLayout.Component), backend);
        }
        catch
        {
            _encoder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens <paramref name="bundleFolder"/> (every tensor validated) and loads what matching needs onto
    /// <paramref name="device"/>. A bundle of another family, or one without the contrastive projections or the
    /// codec's encoder, is a <see cref="BundleException"/> naming the folder and the missing file.
    /// </summary>
    public static MatchModel Load(string bundleFolder, DeviceKind device = DeviceKind.Auto)
    {
        ArgumentNullException.ThrowIfNull(bundleFolder);
        var family = ModelFamilies.Of(bundleFolder);
        if (family is not VmasFamily)
            throw new BundleException($"{bundleFolder}: a {family.Format} bundle has no contrastive projections; matching needs a " +
                $"{VmasConfig.FormatName} bundle with {VmasContrastiveConfig.Component}.safetensors (weights-spec/VMAS.md §14)");
        var bundle = VmasBundle.Open(bundleFolder);
        try
        {
            if (bundle.Config.Contrastive is null)
                throw new BundleException($"{bundleFolder}: no contrastive projections (config.json has no \"{VmasContrastiveConfig.Component}\" " +
                    $"section and no {VmasContrastiveConfig.Component}.safetensors, weights-spec/VMAS.md §14); matching needs them");
            if (!bundle.HasComponent(CodecEncoderLayout.Component))
                throw CodecEncoders.Missing(bundleFolder);
            var backend = DeviceCatalog.Open(device);
            try
            {
                return new MatchModel(bundle, backend);
            }
            catch
            {
                backend.Dispose();
                throw;
            }
        }
        catch
        {
            bundle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The unit vector of <paramref name="videoPath"/> (VMAS.md §14.3): its frames read as generation reads them, in
    /// windows of the bundle's window_seconds from the start, each through the video encoder, every memory row
    /// averaged and projected. Videos longer than <paramref name="maxSeconds"/> are refused.
    /// </summary>
    public async Task<float[]> EmbedVideoAsync(string videoPath, double maxSeconds = VideoProbe.DefaultMaxDurationSeconds,
        CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(videoPath);
        var c = _bundle.Config;
        await using var frames = await VideoFrames.OpenAsync(videoPath, c.Video, maxSeconds, cancellationToken).ConfigureAwait(false);
        int windows = (frames.Count + c.WindowFrames - 1) / c.WindowFrames;
        var sum = _projections.StartVideo();
        await _device.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var memory = new float[_encoder.TimeSteps * _encoder.Width];
            for (int w = 0; w < windows; w++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                float[] pixels = await frames.WindowAsync(w * c.WindowFrames, c.WindowFrames).ConfigureAwait(false);
                // Synchronous device work, off the caller's thread so UIs stay live.
                await Task.Run(() => Encode(pixels, memory), cancellationToken).ConfigureAwait(false);
                sum.Add(memory);
            }
        }
        finally
        {
            _device.Release();
        }
        return _projections.Video(sum);
    }

    void Encode(float[] pixels, float[] memory)
    {
        var c = _bundle.Config;
        using var input = _backend.Upload(pixels, 3, c.WindowFrames, c.Video.Height, c.Video.Width);
        using var output = _backend.Allocate(_encoder.TimeSteps, _encoder.Width);
        _encoder.Encode(input, output);
        _backend.Download(output, memory);
    }

    /// <summary>
    /// The unit vector of the recording at <paramref name="audioPath"/> (any file ffmpeg reads, a video's soundtrack
    /// too; VMAS.md §14.3): mixed to mono, resampled to the codec's rate, encoded to every level's codes, and those
    /// codes' codebook rows averaged and projected. Audio longer than <paramref name="maxSeconds"/> is refused, and a
    /// recording without samples is a <see cref="MediaException"/>.
    /// </summary>
    public async Task<float[]> EmbedMusicAsync(string audioPath, double maxSeconds = AudioReader.DefaultMaxDurationSeconds,
        CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(audioPath);
        float[] samples = await AudioReader.ReadMonoAsync(audioPath, _codec.SampleRate, maxSeconds, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (samples.Length == 0) throw new MediaException(audioPath, "the audio has no samples, so there is no music to match");
        await _device.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int levels = _codec.Levels;
            int[] codes = await Task.Run(() => ChunkedCodec.Encode(_codec, samples, levels, ChunkFrames, cancellationToken), cancellationToken)
                .ConfigureAwait(false);
            return _projections.Music(codes, levels);
        }
        finally
        {
            _device.Release();
        }
    }

    /// <summary>The unit vector of codes the codec made (every level, [levels, frames]), without reading audio.</summary>
    public float[] EmbedCodes(AcousticCodes codes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(codes);
        return _projections.Music(codes.Codes, codes.Levels);
    }

    /// <summary>The cosine similarity of a video vector and a music vector (both unit vectors from this model).</summary>
    public static double Similarity(ReadOnlySpan<float> video, ReadOnlySpan<float> music) => ContrastiveProjections.Similarity(video, music);

    /// <summary>
    /// <paramref name="audioPaths"/> ranked for <paramref name="videoPath"/>, highest similarity first; equal
    /// similarities keep the order given. <paramref name="progress"/> hears how many recordings are done.
    /// </summary>
    public async Task<IReadOnlyList<MusicMatch>> RankAsync(string videoPath, IReadOnlyList<string> audioPaths, IProgress<int>? progress = null,
        double maxSeconds = VideoProbe.DefaultMaxDurationSeconds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audioPaths);
        if (audioPaths.Count == 0) throw new ArgumentException("no recordings to rank", nameof(audioPaths));
        float[] video = await EmbedVideoAsync(videoPath, maxSeconds, cancellationToken).ConfigureAwait(false);
        var matches = new List<MusicMatch>(audioPaths.Count);
        foreach (string path in audioPaths)
        {
            float[] music = await EmbedMusicAsync(path, maxSeconds, cancellationToken).ConfigureAwait(false);
            matches.Add(new MusicMatch(path, Similarity(video, music)));
            progress?.Report(matches.Count);
        }
        // OrderByDescending is stable: ties stay in the order given.
        return matches.OrderByDescending(m => m.Similarity).ToList();
    }

    /// <summary>Waits for any call in progress, then frees the encoders' device memory, the backend and the bundle.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _device.Wait();
        try
        {
            _codec.Dispose();
            _encoder.Dispose();
            _backend.Dispose();
            _bundle.Dispose();
        }
        finally
        {
            _device.Release();
            _device.Dispose();
        }
    }
}
