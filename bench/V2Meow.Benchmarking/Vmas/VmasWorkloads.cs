using V2Meow.Loaders.Bundles.Vmas;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Families.Vmas;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Benchmarking.Vmas;

/// <summary>
/// A vmas/1 bundle's video encoder on a backend with one window of random frames [3, F, Hf, Wf]: the work
/// bench/pytorch/reference_bench_vmas.py's bench_encoder times on the reference. Owns the encoder and its buffers.
/// </summary>
public sealed class VmasEncoderWorkload : IDisposable
{
    readonly VideoEncoder _encoder;
    readonly DeviceTensor _frames, _memory;

    /// <summary>F: video frames one <see cref="Encode"/> reads.</summary>
    public int Frames { get; }

    VmasEncoderWorkload(VideoEncoder encoder, DeviceTensor frames, DeviceTensor memory, int count)
    {
        _encoder = encoder;
        _frames = frames;
        _memory = memory;
        Frames = count;
    }

    /// <summary>Uploads the encoder and one window of frames drawn from <paramref name="seed"/> (values do not change the work).</summary>
    public static VmasEncoderWorkload Load(VmasBundle bundle, IComputeBackend backend, int seed = 0)
    {
        var config = bundle.Config;
        var encoder = VideoEncoder.Load(bundle, backend);
        DeviceTensor? frames = null;
        try
        {
            var random = new Random(seed);
            var pixels = new float[3 * config.WindowFrames * config.Video.Height * config.Video.Width];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = RandomValues.Normal(random);
            frames = backend.Upload(pixels, 3, config.WindowFrames, config.Video.Height, config.Video.Width);
            return new VmasEncoderWorkload(encoder, frames, backend.Allocate(encoder.TimeSteps, encoder.Width), config.WindowFrames);
        }
        catch
        {
            frames?.Dispose();
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>One window through the encoder to its memory [T', d]; returns the frames read.</summary>
    public int Encode()
    {
        _encoder.Encode(_frames, _memory);
        return Frames;
    }

    public void Dispose()
    {
        _encoder.Dispose();
        _frames.Dispose();
        _memory.Dispose();
    }
}

/// <summary>
/// A vmas/1 bundle's music decoder on a backend with one window of random video features and codes, running
/// the work bench/pytorch/reference_bench_vmas.py times on the reference:
/// <list type="bullet">
/// <item><see cref="Prefill"/>: the window's cross-attention memory projected, then a teacher-forced pass over
/// its P = Tw + K − 1 delayed positions with the K heads' logits (VMAS.md §6.3, §7.1);</item>
/// <item><see cref="Decode"/>: a window generated step by step from an empty cache (VMAS.md §7) at a batch of
/// candidates, argmax per codebook, against a memory projected once beforehand; guided runs each candidate's
/// null-conditioned twin in the same batch and combines the logits (§6.4), as generation does.</item>
/// </list>
/// A position carries K codebook tokens; both methods count them. Owns the decoder and its buffers.
/// </summary>
public sealed class VmasDecoderWorkload : IDisposable
{
    readonly IComputeBackend _backend;
    readonly MusicDecoder _decoder;
    readonly DeviceTensor _features;
    readonly CrossMemory _memory;
    readonly int[] _ids;

    /// <summary>P: the decoder positions of one window, what <see cref="Prefill"/> runs and the most <see cref="Decode"/> steps.</summary>
    public int Positions { get; }
    /// <summary>K: tokens per position.</summary>
    public int Codebooks => _decoder.Codebooks;
    /// <summary>The guided decode's scale: the bundle's, or MusicGen's 3 where the bundle's is 1 (no guidance).</summary>
    public double Guidance { get; }

    VmasDecoderWorkload(IComputeBackend backend, MusicDecoder decoder, DeviceTensor features, int[] ids, int positions, double guidance)
    {
        _backend = backend;
        _decoder = decoder;
        _features = features;
        _ids = ids;
        Positions = positions;
        Guidance = guidance;
        _memory = decoder.Remember(features);
    }

    /// <summary>The guidance of the guided rows for a bundle: its own scale unless that is 1 (none), then 3.</summary>
    public static double GuidedScale(VmasConfig config) => config.Guidance != 1.0 ? config.Guidance : 3.0;

    /// <summary>Uploads the decoder and draws one window of features [T', d] and codes [K, Tw] from <paramref name="seed"/>.</summary>
    public static VmasDecoderWorkload Load(VmasBundle bundle, IComputeBackend backend, int seed = 0)
    {
        var config = bundle.Config;
        int K = config.Decoder.Codebooks, N = config.Decoder.CodebookSize, frames = config.WindowCodeFrames;
        int positions = DelayPattern.Steps(frames, K);
        var decoder = MusicDecoder.Load(bundle, backend, positions);
        DeviceTensor? features = null;
        try
        {
            var random = new Random(seed);
            int rows = config.Grids.Time, width = config.Decoder.Transformer.DModel;
            var values = new float[rows * width];
            for (int i = 0; i < values.Length; i++) values[i] = RandomValues.Normal(random);
            features = backend.Upload(values, rows, width);
            var codes = new int[K * frames];
            for (int i = 0; i < codes.Length; i++) codes[i] = random.Next(N);
            int[] ids = DelayPattern.InputIds(codes, K, frames, N, positions);
            return new VmasDecoderWorkload(backend, decoder, features, ids, positions, GuidedScale(config));
        }
        catch
        {
            features?.Dispose();
            decoder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The memory projection and a teacher-forced pass over the first <paramref name="positions"/> positions of
    /// the window (0: all of it), logits included; returns the positions run.
    /// </summary>
    public int Prefill(int positions = 0)
    {
        int n = positions > 0 ? Math.Min(positions, Positions) : Positions, K = Codebooks;
        var byCodebook = new int[K * n];
        for (int p = 0; p < n; p++)
            for (int k = 0; k < K; k++) byCodebook[k * n + p] = _ids[p * K + k];

        var b = _backend;
        using var memory = _decoder.Remember(_features);
        using var scratch = new ScratchTensors(b);
        using var cache = new PagedKvCache(b, _decoder.Layers, _decoder.Heads.Inner, PagedKvCache.BlocksFor(1, n), 1, n);
        int slot = cache.Create();
        cache.Reserve(slot, n);
        cache.SyncTables();
        using var ids = b.UploadInts(byCodebook, byCodebook.Length);
        using var rowSlot = b.UploadInts(Enumerable.Repeat(slot, n).ToArray(), n);
        using var rowPosition = b.UploadInts(Enumerable.Range(0, n).ToArray(), n);
        var rows = cache.Rows(rowSlot, rowPosition, 0);
        var x = scratch.Get("x", n, _decoder.ModelWidth);
        _decoder.Embed(ids, rows, x, scratch);
        var hidden = _decoder.Forward(x, rows, cache, memory, conditionedRows: n, scratch, trace: null);
        var logits = scratch.Get("logits", n, K * _decoder.CodebookSize);
        _decoder.Logits(hidden, logits);
        b.Synchronize();
        return n;
    }

    /// <summary>
    /// <paramref name="batch"/> candidates generated together for <paramref name="steps"/> steps (a window of
    /// steps − K + 1 frames, no prompt), argmax per codebook, with <see cref="Guidance"/> when
    /// <paramref name="guided"/>; returns the tokens, steps · K · batch.
    /// </summary>
    public int Decode(int steps, int batch, bool guided)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, Codebooks);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(steps, Positions);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        var prompts = Enumerable.Repeat(Array.Empty<int>(), batch).ToList();
        var sampling = new MusicSampling(Temperature: 0, TopK: 0, guided ? Guidance : 1.0, Seed: 0, batch); // argmax: the RNG is never read
        new MusicTokenGenerator(_backend, _decoder).Generate(prompts, promptFrames: 0, steps - Codebooks + 1, _memory, sampling, firstFrame: 0);
        return steps * Codebooks * batch;
    }

    /// <summary>Decode steps for a wish of <paramref name="steps"/>: at least K (one frame), at most one window.</summary>
    public int Steps(int steps) => Math.Clamp(steps, Codebooks, Positions);

    public void Dispose()
    {
        _memory.Dispose();
        _features.Dispose();
        _decoder.Dispose();
    }
}

/// <summary>Random inputs for timing: their values do not change the work.</summary>
static class RandomValues
{
    /// <summary>Sum of three uniforms, centred and scaled: unit variance, close enough to normal for timing.</summary>
    public static float Normal(Random random) => (float)((random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5) * 2.0);
}
