using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Runtime.Families.V2Meow;

/// <summary>
/// One transformer stage of a bundle on a backend (SPEC §6): the encoder when the stage has one, the decoder,
/// the scratch tensors and the stage's KV cache pool. Owns all its device memory.
/// </summary>
internal sealed class StageModel : IDisposable
{
    readonly OwnedResources _weights;
    readonly ScratchTensors _scratch;
    readonly Encoder? _encoder;
    readonly Decoder _decoder;
    PagedKvCache? _cache;

    public StageId Id { get; }
    public string Name => Id.Name();
    public int Number => (int)Id;
    public TransformerConfig Config { get; }
    public IComputeBackend Backend { get; }
    public int Vocabulary => _decoder.Vocabulary;
    public bool HasEncoder => _encoder is not null;

    StageModel(StageId id, TransformerConfig config, IComputeBackend backend, OwnedResources weights, Encoder? encoder, Decoder decoder)
    {
        Id = id;
        Config = config;
        Backend = backend;
        _weights = weights;
        _encoder = encoder;
        _decoder = decoder;
        _scratch = new ScratchTensors(backend);
    }

    public static StageModel Load(Bundle bundle, StageId stage, IComputeBackend backend)
    {
        var config = bundle.Config.Stage(stage);
        bool encoder = bundle.Config.HasEncoder(stage);
        var owned = new OwnedResources();
        try
        {
            var reader = new WeightReader(backend, bundle.Component(stage.Name()), owned);
            // Only stage 1 may have a time embedding (SPEC §6.8); its table covers the stage's window.
            var rates = bundle.Config.Rates;
            int timePositions = config.TimeEmbedding is null ? 0 : WindowGeometry.DecoderLength(bundle.Config, stage);
            return new StageModel(stage, config, backend, owned,
                encoder ? Encoder.Load(reader, config, rates.VideoFps) : null,
                Decoder.Load(reader, config, encoder, rates.SemanticHz, timePositions));
        }
        catch
        {
            owned.Dispose();
            throw;
        }
    }

    /// <summary>Runs the encoder and keeps its output as the decoder's cross-attention memory (owned by the caller).</summary>
    public CrossMemory? Encode(EncoderInput? input, ActivationTrace? trace)
    {
        if (_encoder is null)
        {
            if (input is not null) throw new ArgumentException($"{Name}: this stage has no encoder; it takes no video features");
            return null;
        }
        if (input is null) throw new ArgumentException($"{Name}: this stage's encoder needs its input streams");
        input.Validate(Config, Name);
        var output = _encoder.Run(Backend, input, _scratch, trace);
        return _decoder.Remember(Backend, output);
    }

    /// <summary>Logits [tokens, vocab] for every position of <paramref name="tokens"/>, each seeing the tokens before it (SPEC §6.4).</summary>
    public float[] TeacherForced(int[] tokens, CrossMemory? memory, ActivationTrace? trace)
    {
        if (tokens.Length == 0) throw new ArgumentException($"{Name}: no tokens to score");
        var cache = Cache(sequences: 1, length: tokens.Length, blocks: PagedKvCache.BlocksFor(1, tokens.Length));
        int slot = cache.Create();
        try
        {
            var generator = new TokenGenerator(Backend, _decoder, _scratch);
            var hidden = generator.Run(tokens, slot, cache, memory, trace);
            var logits = _scratch.Get("teacher.logits", tokens.Length, Vocabulary);
            _decoder.Logits(Backend, hidden, logits);
            trace?.Invoke("logits", logits);
            var values = new float[logits.Length];
            Backend.Download(logits, values);
            return values;
        }
        finally { cache.Free(slot); }
    }

    public int[][] Generate(DecodeRequest request, CrossMemory? memory)
    {
        int rows = request.Prompts.Count;
        int longest = request.Prompts.Max(p => p.Length) + request.Steps;
        // An upper bound that ignores sharing: each prompt's blocks, plus each sequence's as if it owned all of its own.
        int blocks = request.Prompts.Sum(p => PagedKvCache.BlocksFor(1, p.Length) + PagedKvCache.BlocksFor(1, p.Length + request.Steps));
        var cache = Cache(sequences: 2 * rows, length: longest, blocks: blocks);
        return new TokenGenerator(Backend, _decoder, _scratch).Generate(request, cache, memory);
    }

    /// <summary>
    /// The stage's pool, replaced by one large enough for both the old and the new request when a request
    /// outgrows it (between requests it holds nothing), so alternating requests do not reallocate.
    /// </summary>
    PagedKvCache Cache(int sequences, int length, int blocks)
    {
        if (_cache is { } c)
        {
            if (c.Capacity >= blocks && c.MaxLength >= length && c.MaxSequences >= sequences) return c;
            (blocks, length, sequences) = (Math.Max(blocks, c.Capacity), Math.Max(length, c.MaxLength), Math.Max(sequences, c.MaxSequences));
            Backend.Synchronize();
            c.Dispose();
            _cache = null;
        }
        _cache = new PagedKvCache(Backend, _decoder.Layers, _decoder.Heads.Inner, blocks, sequences, length);
        return _cache;
    }

    public void Dispose()
    {
        Backend.Synchronize();
        _cache?.Dispose();
        _scratch.Dispose();
        _weights.Dispose();
    }
}
