using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Features;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Families.V2Meow;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Benchmarking;

/// <summary>
/// One stage of a bundle loaded on a backend with random inputs of one window, running the work
/// bench/pytorch/reference_bench.py times on the reference:
/// <list type="bullet">
/// <item><see cref="Prefill"/>: the encoder (if any) and a teacher-forced pass of one window, logits included
/// (the reference's <c>model(tokens, streams, style)</c>);</item>
/// <item><see cref="Decode"/>: <c>steps</c> single-token passes through the KV cache, each with the head and an
/// argmax, from an empty cache, against an encoder memory computed once beforehand (the reference's loop of
/// <c>model.decoder(tokens[i:i+1], memory, cache)</c>).</item>
/// </list>
/// Owns the stage's device memory.
/// </summary>
public sealed class StageWorkload : IDisposable
{
    readonly StageModel _model;
    readonly EncoderInput? _input;
    readonly CrossMemory? _memory;
    readonly int[] _tokens;

    public string Stage { get; }
    public IComputeBackend Backend { get; }
    /// <summary>Decoder positions of one window (SPEC §4): what <see cref="Prefill"/> runs.</summary>
    public int WindowTokens => _tokens.Length;
    public int Vocabulary => _model.Vocabulary;

    StageWorkload(StageId stage, IComputeBackend backend, StageModel model, EncoderInput? input, int[] tokens)
    {
        Stage = stage.Name();
        Backend = backend;
        _model = model;
        _input = input;
        _tokens = tokens;
        _memory = model.Encode(input, trace: null);
    }

    /// <summary>Uploads <paramref name="stage"/>'s weights and draws one window of inputs from <paramref name="seed"/>.</summary>
    public static StageWorkload Load(Bundle bundle, StageId stage, IComputeBackend backend, int seed = 0)
    {
        var model = StageModel.Load(bundle, stage, backend);
        try
        {
            var random = new Random(seed);
            var config = bundle.Config;
            int vocabulary = config.VocabSize(stage);
            var tokens = new int[WindowGeometry.DecoderLength(config, stage)];
            for (int i = 0; i < tokens.Length; i++) tokens[i] = random.Next(vocabulary);
            var input = config.HasEncoder(stage) ? RandomInput(config, stage, random) : null;
            return new StageWorkload(stage, backend, model, input, tokens);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Encoder and teacher-forced decoder over the first <paramref name="tokens"/> positions of the window
    /// (0: all of it); returns the positions run.
    /// </summary>
    public int Prefill(int tokens = 0)
    {
        int count = tokens > 0 ? Math.Min(tokens, _tokens.Length) : _tokens.Length;
        using var memory = _model.Encode(_input, trace: null);
        _model.TeacherForced(count == _tokens.Length ? _tokens : _tokens[..count], memory, trace: null);
        return count;
    }

    /// <summary>
    /// <paramref name="batch"/> sequences decoded together for <paramref name="steps"/> tokens each from a
    /// one-token prompt (its pass is the first of the steps), argmax over the whole vocabulary; returns the
    /// tokens produced.
    /// </summary>
    public int Decode(int steps, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        int vocabulary = _model.Vocabulary;
        int[] prompt = [_tokens[0]];
        var request = new DecodeRequest(Enumerable.Repeat(prompt, batch).ToList(), steps, _ => new TokenRange(0, vocabulary),
            Temperature: 0, TopK: 0, Seed: 0, StreamBase: 0); // argmax: the RNG stream is never read
        _model.Generate(request, _memory);
        return steps * batch;
    }

    /// <summary>Dense streams standard-normal-like, token streams uniform ids, the style vector likewise (values do not change the work).</summary>
    static EncoderInput RandomInput(BundleConfig config, StageId stage, Random random)
    {
        var t = config.Stage(stage);
        int frames = WindowGeometry.VideoFrames(config, stage);
        var streams = new Dictionary<string, StreamFeatures>(StringComparer.Ordinal);
        foreach (var stream in t.Streams)
        {
            if (stream.IsDense)
            {
                var values = new float[frames, stream.Dim];
                for (int f = 0; f < frames; f++)
                    for (int d = 0; d < stream.Dim; d++) values[f, d] = Normal(random);
                streams[stream.Name] = StreamFeatures.FromDense(stream, values);
            }
            else
            {
                var ids = new int[frames * stream.TokensPerFrame];
                for (int i = 0; i < ids.Length; i++) ids[i] = random.Next(stream.Vocab);
                streams[stream.Name] = StreamFeatures.FromTokens(stream, ids);
            }
        }
        float[]? style = null;
        if (t.StyleDim > 0)
        {
            style = new float[t.StyleDim];
            for (int i = 0; i < style.Length; i++) style[i] = Normal(random);
        }
        return new EncoderInput(streams, style);
    }

    /// <summary>Sum of three uniforms, centred and scaled: unit variance, close enough to normal for timing.</summary>
    static float Normal(Random random) => (float)((random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5) * 2.0);

    public void Dispose()
    {
        _memory?.Dispose();
        _model.Dispose();
    }
}
