using V2Meow.Loaders.Audio;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Codecs;

namespace V2Meow.Runtime;

/// <summary>
/// A bundle's codec on its own: audio → codes with its encoder (the optional codec_encoder component, SPEC §9.3),
/// codes → audio with its decoder (SPEC §9). Any family's bundle; load once, then encode and decode as often as you
/// like. Safe to share between threads (calls queue for the device one at a time); disposing frees the device memory.
/// <code>
/// using var codec = CodecModel.Load("my-bundle");
/// var encoded = await codec.EncodeAsync("song.flac", levels: 8, cancellationToken: token);
/// float[] waveform = await codec.DecodeAsync(encoded, token);   // codec.SampleRate Hz, as long as the recording
/// </code>
/// </summary>
public sealed class CodecModel : IDisposable
{
    /// <summary>Frames per chunk of a long encode or decode: bounds the device memory by the chunk, not the recording.</summary>
    const int ChunkFrames = 1500;

    readonly IComputeBackend _backend;
    readonly LoadedCodec _codec;
    readonly SemaphoreSlim _device = new(1, 1);
    bool _disposed;

    /// <summary>The bundle folder the codec was loaded from.</summary>
    public string BundleFolder { get; }
    /// <summary>The bundle's name field (config.json), recorded in the codes it makes.</summary>
    public string ModelName => _codec.ModelName;
    /// <summary>The device the codec runs on.</summary>
    public DeviceInfo Device => _backend.Device;
    /// <summary>Audio samples per second the codec reads and writes.</summary>
    public int SampleRate => _codec.Decoder.SampleRate;
    /// <summary>Samples per code frame.</summary>
    public int Hop => _codec.Decoder.Hop;
    /// <summary>Q: the RVQ levels; an encode may ask for the first 1 … Q.</summary>
    public int Levels => _codec.Decoder.Levels;
    /// <summary>K: codes per level.</summary>
    public int CodebookSize => _codec.Decoder.CodebookSize;
    /// <summary>Whether the bundle has an encoder: without one the codec decodes codes but cannot make them.</summary>
    public bool CanEncode => _codec.Encoder is not null;

    CodecModel(string bundleFolder, IComputeBackend backend, LoadedCodec codec)
    {
        BundleFolder = bundleFolder;
        _backend = backend;
        _codec = codec;
    }

    /// <summary>
    /// Opens <paramref name="bundleFolder"/> (any family this build knows; every tensor validated) and loads its
    /// codec, and its encoder when it has one, onto <paramref name="device"/>.
    /// </summary>
    public static CodecModel Load(string bundleFolder, DeviceKind device = DeviceKind.Auto)
    {
        ArgumentNullException.ThrowIfNull(bundleFolder);
        var family = ModelFamilies.Of(bundleFolder);
        var backend = DeviceCatalog.Open(device);
        try
        {
            return new CodecModel(bundleFolder, backend, family.LoadCodec(bundleFolder, backend));
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    /// <summary>The codec of the bundle embedded in this library (see <see cref="DefaultModel"/>).</summary>
    public static CodecModel LoadDefault(DeviceKind device = DeviceKind.Auto) => Load(DefaultModel.EnsureUnpacked(), device);

    /// <summary>
    /// The codes of the first audio stream of <paramref name="audioPath"/> (any file ffmpeg reads, a video's
    /// soundtrack too), mixed to mono and resampled to <see cref="SampleRate"/> by ffmpeg; the first
    /// <paramref name="levels"/> levels (all by default). Audio longer than <paramref name="maxSeconds"/> is refused.
    /// </summary>
    public async Task<EncodedAudio> EncodeAsync(string audioPath, int? levels = null, double maxSeconds = AudioReader.DefaultMaxDurationSeconds,
        CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireEncoder();
        CheckLevels(levels);
        float[] samples = await AudioReader.ReadMonoAsync(audioPath, SampleRate, maxSeconds, cancellationToken: cancellationToken).ConfigureAwait(false);
        return await EncodeAsync(samples, levels, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The codes of <paramref name="samples"/>, mono at <see cref="SampleRate"/> Hz: ⌈N / hop⌉ frames (the last
    /// zero-padded) of the first <paramref name="levels"/> levels (all by default).
    /// </summary>
    public async Task<EncodedAudio> EncodeAsync(ReadOnlyMemory<float> samples, int? levels = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var encoder = RequireEncoder();
        int q = CheckLevels(levels);
        await _device.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Synchronous device work, off the caller's thread so UIs stay live.
            int[] codes = await Task.Run(() => ChunkedCodec.Encode(encoder, samples.Span, q, ChunkFrames, cancellationToken),
                cancellationToken).ConfigureAwait(false);
            var acoustic = new AcousticCodes(q, codes.Length / q, codes);
            return new EncodedAudio(acoustic, samples.Length, SampleRate, Hop, CodebookSize, ModelName);
        }
        finally
        {
            _device.Release();
        }
    }

    /// <summary>
    /// The waveform of <paramref name="audio"/> at <see cref="SampleRate"/>, cut to the recording's length. Codes made
    /// by another codec (another sample rate, hop or codebook size, or more levels than this codec has) are an
    /// <see cref="ArgumentException"/> saying which.
    /// </summary>
    public async Task<float[]> DecodeAsync(EncodedAudio audio, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audio);
        if (audio.SampleRate != SampleRate || audio.Hop != Hop)
            throw new ArgumentException($"codes of {audio.SampleRate} Hz audio at {audio.Hop} samples a frame; this codec runs at {SampleRate} Hz, {Hop} samples a frame");
        if (audio.CodebookSize != CodebookSize)
            throw new ArgumentException($"codes from a codebook of {audio.CodebookSize}; this codec's has {CodebookSize}");
        float[] waveform = await DecodeAsync(audio.Codes, cancellationToken).ConfigureAwait(false);
        return waveform.Length == audio.Samples ? waveform : waveform[..audio.Samples];
    }

    /// <summary>The waveform [frames · hop] of <paramref name="codes"/>; 1 to Q levels, each code in [0, K).</summary>
    public async Task<float[]> DecodeAsync(AcousticCodes codes, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(codes);
        if (codes.Levels < 1 || codes.Levels > Levels)
            throw new ArgumentException($"codes of {codes.Levels} levels; this codec has {Levels} (expected 1 to {Levels})", nameof(codes));
        if (codes.Codes.Length != codes.Levels * codes.Frames)
            throw new ArgumentException($"{codes.Codes.Length} codes for {codes.Levels} levels × {codes.Frames} frames", nameof(codes));
        Backends.CodecChecks.RvqCodeRange(codes.Codes, codes.Levels, codes.Frames, CodebookSize, "codes");
        if (codes.Frames == 0) return [];
        await _device.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => ChunkedCodec.Decode(_codec.Decoder, codes.Codes, codes.Levels, ChunkFrames, cancellationToken),
                cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _device.Release();
        }
    }

    ICodecEncoder RequireEncoder() => _codec.Encoder ?? throw CodecEncoders.Missing(BundleFolder);

    int CheckLevels(int? levels)
    {
        int q = levels ?? Levels;
        if (q < 1 || q > Levels)
            throw new ArgumentOutOfRangeException(nameof(levels), q, $"this codec has {Levels} levels; ask for 1 to {Levels}");
        return q;
    }

    /// <summary>Waits for any call in progress, then frees the codec's device memory and the backend.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _device.Wait();
        try
        {
            _codec.Dispose();
            _backend.Dispose();
        }
        finally
        {
            _device.Release();
            _device.Dispose();
        }
    }
}
