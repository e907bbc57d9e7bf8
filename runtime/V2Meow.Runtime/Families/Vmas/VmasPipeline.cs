using System.Diagnostics;
using V2Meow.Loaders.Bundles.Vmas;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Codecs;
using V2Meow.Runtime.Generation;

namespace V2Meow.Runtime.Families.Vmas;

/// <summary>
/// VMAs, video in, music out (VMAS.md §1): each window's frames → video encoder → music decoder over the
/// delay pattern (continuing from the previous window's last codes) → codec, cut to the video's length.
/// Load once, generate as often as you like; generations queue for the device one at a time, and the same
/// seed gives the same audio whatever else runs.
/// </summary>
public sealed class VmasPipeline : IMusicPipeline
{
    readonly VmasBundle _bundle;
    readonly IComputeBackend _backend;
    readonly VideoEncoder _encoder;
    readonly MusicDecoder _decoder;
    readonly ICodecDecoder _codec;
    readonly SemaphoreSlim _device = new(1, 1);
    bool _disposed;

    /// <inheritdoc/>
    public ModelFamily Family { get; }
    /// <inheritdoc/>
    public string ModelName => Config.Name;
    /// <summary>The bundle's config.json, defaults filled in.</summary>
    public VmasConfig Config => _bundle.Config;
    /// <inheritdoc/>
    public string BundleFolder => _bundle.Folder;
    /// <inheritdoc/>
    public DeviceInfo Device => _backend.Device;
    /// <inheritdoc/>
    public int SampleRate => Config.SampleRate;
    /// <summary>VMAs has no text control: always null.</summary>
    public TextTower? TextTower => null;

    VmasPipeline(ModelFamily family, VmasBundle bundle, IComputeBackend backend)
    {
        Family = family;
        _bundle = bundle;
        _backend = backend;
        var owned = new List<IDisposable>();
        try
        {
            var config = bundle.Config;
            _encoder = Own(VideoEncoder.Load(bundle, backend));
            _decoder = Own(MusicDecoder.Load(bundle, backend, DelayPattern.Steps(config.WindowCodeFrames, config.Decoder.Codebooks)));
            _codec = Own(CodecDecoders.Load(bundle.Folder, config.Codec, config.Decoder.Codebooks, config.Decoder.CodebookSize,
                config.SampleRate, bundle.Component("codec"), backend));
        }
        catch
        {
            foreach (var d in owned) d.Dispose();
            throw;
        }

        T Own<T>(T item) where T : IDisposable
        {
            owned.Add(item);
            return item;
        }
    }

    /// <summary>Opens the bundle onto <paramref name="backend"/>, which the pipeline owns once loaded; on failure the caller still owns it.</summary>
    internal static VmasPipeline Load(ModelFamily family, string bundleFolder, IComputeBackend backend)
    {
        var bundle = VmasBundle.Open(bundleFolder);
        try
        {
            return new VmasPipeline(family, bundle, backend);
        }
        catch
        {
            bundle.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public async Task<GenerationResult> GenerateAsync(VideoInput input, GenerationOptions? options = null,
        IProgress<GenerationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        options ??= new GenerationOptions();
        options.Validate();
        if (input.Prompt is not null || input.StyleEmbedding is not null || input.StyleEmbeddingFile is not null)
            throw new ArgumentException("VMAs takes no text or style control; leave the prompt and style embedding out");
        if (input.FeatureFiles.Count > 0)
            throw new ArgumentException("VMAs reads the video's frames itself; it takes no feature files");
        if (options.Stage1Temperature is not null || options.Stage2Temperature is not null || options.Stage3Temperature is not null)
            throw new ArgumentException("VMAs has one token stage; give one temperature, not three");
        var sampling = new MusicSampling(options.Temperature ?? Config.Temperature, options.TopK ?? Config.TopK,
            options.Guidance ?? Config.Guidance, options.Seed, options.Candidates);

        var clock = Stopwatch.StartNew();
        await using var frames = await VideoFrames.OpenAsync(input.VideoPath, Config.Video, input.MaxDurationSeconds, cancellationToken)
            .ConfigureAwait(false);
        var timings = new List<StageTiming>();
        await _device.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await GenerateAsync(frames, sampling, progress, timings, clock, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _device.Release();
        }
    }

    /// <summary>
    /// Window by window: the next window's frames are decoded while the current window's tokens are generated
    /// (token work runs off the caller's thread), then the codec decodes each candidate's codes.
    /// </summary>
    async Task<GenerationResult> GenerateAsync(VideoFrames frames, MusicSampling sampling, IProgress<GenerationProgress>? progress,
        List<StageTiming> timings, Stopwatch featureClock, CancellationToken cancellationToken)
    {
        var c = Config;
        int K = c.Decoder.Codebooks, B = sampling.Candidates;
        double duration = frames.DurationSeconds;
        // VMAS.md §7.3: the waveform is cut to round(duration × sample_rate) samples; the frames cover them.
        int samples = Math.Max(1, (int)Math.Round(duration * c.SampleRate));
        int total = (samples + c.Hop - 1) / c.Hop;
        var windows = VmasWindow.Cover(total, c.WindowCodeFrames, c.PromptCodeFrames);
        var codes = Enumerable.Range(0, B).Select(_ => Enumerable.Range(0, K).Select(_ => new List<int>(total)).ToArray()).ToArray();
        var generator = new MusicTokenGenerator(_backend, _decoder);
        var encoding = new Stopwatch();
        var decoding = new Stopwatch();

        // VMAS.md §6.1: a window's F frames start at the frame nearest its start time.
        int FirstFrame(VmasWindow w) => (int)Math.Round(w.Start / (double)c.FrameRate * c.Video.Fps);
        Task<float[]> Read(VmasWindow w) => frames.WindowAsync(FirstFrame(w), c.WindowFrames);

        using var features = _backend.Allocate(_encoder.TimeSteps, _encoder.Width);
        var pixels = await Read(windows[0]).ConfigureAwait(false);
        // Only the first window's frames hold up the start; later windows are decoded during token work.
        timings.Add(new StageTiming(PipelineStage.Features, featureClock.Elapsed, c.WindowFrames, "frames"));
        progress?.Report(new GenerationProgress(PipelineStage.Features, 1, windows.Count, c.WindowFrames, (long)windows.Count * c.WindowFrames));
        foreach (var window in windows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var current = pixels;
            var work = Task.Run(() => RunWindow(window, current, features, codes, generator, sampling, encoding, decoding, progress,
                windows.Count, total, cancellationToken), cancellationToken);
            // Decode the next window's frames meanwhile: ffmpeg and the resize overlap the token work.
            Task<float[]>? next = window.Index + 1 < windows.Count ? Read(windows[window.Index + 1]) : null;
            await work.ConfigureAwait(false);
            if (next is not null) pixels = await next.ConfigureAwait(false);
        }
        timings.Add(new StageTiming(PipelineStage.VideoEncoder, encoding.Elapsed, (long)windows.Count * c.WindowFrames, "frames"));
        timings.Add(new StageTiming(PipelineStage.MusicTokens, decoding.Elapsed, (long)total * K * B));

        return await Task.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            var waveforms = new List<float[]>();
            for (int b = 0; b < B; b++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int[] flat = codes[b].SelectMany(level => level).ToArray();
                float[] audio = _codec.Decode(flat, K);
                // Exactly the video's length: the last codec frame is cut to the sample.
                waveforms.Add(audio.Length == samples ? audio : audio.AsSpan(0, Math.Min(samples, audio.Length)).ToArray());
                progress?.Report(new GenerationProgress(PipelineStage.Codec, b + 1, B, b + 1, B));
            }
            timings.Add(new StageTiming(PipelineStage.Codec, clock.Elapsed, (long)samples * B, "samples"));
            var firstCodebook = codes.Select(candidate => candidate[0].ToArray()).ToList();
            return new GenerationResult(waveforms, c.SampleRate, duration, firstCodebook, timings);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One window: its frames through the encoder, then its codes through the delay pattern, appended per candidate.</summary>
    void RunWindow(VmasWindow window, float[] pixels, DeviceTensor features, List<int>[][] codes, MusicTokenGenerator generator,
        MusicSampling sampling, Stopwatch encoding, Stopwatch decoding, IProgress<GenerationProgress>? progress, int windows, int total,
        CancellationToken cancellationToken)
    {
        var c = Config;
        int K = c.Decoder.Codebooks;
        encoding.Start();
        using (var frames = _backend.Upload(pixels, 3, c.WindowFrames, c.Video.Height, c.Video.Width))
            _encoder.Encode(frames, features);
        encoding.Stop();
        progress?.Report(new GenerationProgress(PipelineStage.VideoEncoder, window.Index + 1, windows, window.Index + 1, windows));

        decoding.Start();
        var prompts = codes.Select(candidate => Enumerable.Range(0, K)
            .SelectMany(k => candidate[k].GetRange(window.Start, window.PromptFrames)).ToArray()).ToList();
        int[][] fresh;
        using (var memory = _decoder.Remember(features))
            fresh = generator.Generate(prompts, window.PromptFrames, window.Frames, memory, sampling, window.Start, cancellationToken);
        for (int b = 0; b < codes.Length; b++)
            for (int k = 0; k < K; k++)
                codes[b][k].AddRange(fresh[b].AsSpan(k * window.Frames + window.PromptFrames, window.Frames - window.PromptFrames));
        decoding.Stop();
        progress?.Report(new GenerationProgress(PipelineStage.MusicTokens, window.Index + 1, windows, window.End, total));
    }

    /// <summary>Waits for a running generation, then frees the codec, the decoder, the encoder, the backend and the bundle.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _device.Wait(); // never free weights under a running generation
        _disposed = true;
        _codec.Dispose();
        _decoder.Dispose();
        _encoder.Dispose();
        _backend.Dispose();
        _bundle.Dispose();
        _device.Release();
        _device.Dispose();
    }
}
