using V2Meow.Loaders.Bundles.Vmas;
using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Runtime.Families.Vmas;

/// <summary>
/// VMAs' MusicGen-style decoder (VMAS.md §6.3): the sum of K codebook embeddings plus sinusoidal positions,
/// SPEC §6.1's pre-norm layers (causal self-attention through the paged KV cache, with no position bias;
/// cross-attention to the video features; feed-forward), the final norm and K heads. Rows at or past
/// <c>conditionedRows</c> are the null condition of classifier-free guidance (VMAS.md §6.4): their
/// cross-attention adds nothing. Owns its weights on one backend.
/// </summary>
internal sealed class MusicDecoder : IDisposable
{
    readonly IComputeBackend _backend;
    readonly OwnedResources _owned = new();
    readonly WeightTensor _embeddings, _heads, _positions;
    readonly IReadOnlyList<TransformerLayer> _layers;
    readonly Norm _finalNorm;
    readonly PositionBias _noBias;
    DeviceTensor? _zeros;

    public AttentionHeads Heads { get; }
    /// <summary>K codebooks.</summary>
    public int Codebooks { get; }
    /// <summary>N codes per codebook; id N is the special token.</summary>
    public int CodebookSize { get; }
    public int Layers => _layers.Count;
    public int ModelWidth { get; }
    /// <summary>Positions the sinusoidal table covers: a window's frames plus the pattern's K − 1.</summary>
    public int MaxPositions => _positions.Rows;

    MusicDecoder(IComputeBackend backend, VmasConfig config, SafetensorsFile file, int maxPositions)
    {
        _backend = backend;
        var dec = config.Decoder;
        var t = dec.Transformer;
        Codebooks = dec.Codebooks;
        CodebookSize = dec.CodebookSize;
        ModelWidth = t.DModel;
        Heads = new AttentionHeads(t.NHeads, t.HeadDim, (float)t.AttentionScale);
        try
        {
            var reader = new WeightReader(backend, file, _owned);
            // The K tables stacked: codebook k's row i is row k·(N + 1) + i; the K heads stacked likewise, so
            // one lookup per codebook and one matrix product give every codebook's embedding and logits.
            _embeddings = reader.Table(Stack(file, "decoder.embed", dec.Codebooks), dec.Codebooks * (dec.CodebookSize + 1), t.DModel);
            _heads = reader.Table(Stack(file, "decoder.head", dec.Codebooks), dec.Codebooks * dec.CodebookSize, t.DModel);
            _positions = reader.Table(SinusoidalPositions(maxPositions, t.DModel, dec.MaxPeriod), maxPositions, t.DModel);
            _layers = Enumerable.Range(0, t.DecoderLayers)
                .Select(i => TransformerLayer.Load(reader, $"decoder.layers.{i}", t, cross: true)).ToList();
            _finalNorm = Norm.Load(reader, "decoder.final_norm", t);
            // No position bias (VMAS.md §6.3): a one-column zero table adds exactly 0 to every score.
            _noBias = reader.Own(new PositionBias(backend.Upload(new float[t.NHeads], t.NHeads, 1), 0));
        }
        catch
        {
            _owned.Dispose();
            throw;
        }
    }

    /// <summary>Uploads the music_decoder component; <paramref name="maxPositions"/> bounds the sinusoidal table.</summary>
    public static MusicDecoder Load(VmasBundle bundle, IComputeBackend backend, int maxPositions) =>
        new(backend, bundle.Config, bundle.Component("music_decoder"), maxPositions);

    static float[] Stack(SafetensorsFile file, string prefix, int codebooks) =>
        Enumerable.Range(0, codebooks).SelectMany(k => file.Get($"{prefix}.{k}.weight").ToFloat32()).ToArray();

    /// <summary>
    /// MusicGen's create_sin_embedding (VMAS.md §6.3): for h = d/2, PE(p)[i] = cos(p / P^(i/(h−1))) and
    /// PE(p)[h + i] = sin(…), in float64, rounded to float32.
    /// </summary>
    public static float[] SinusoidalPositions(int positions, int d, double maxPeriod)
    {
        int half = d / 2;
        var table = new float[positions * d];
        for (int p = 0; p < positions; p++)
            for (int i = 0; i < half; i++)
            {
                double phase = p / Math.Pow(maxPeriod, half > 1 ? (double)i / (half - 1) : 0);
                table[p * d + i] = (float)Math.Cos(phase);
                table[p * d + half + i] = (float)Math.Sin(phase);
            }
        return table;
    }

    /// <summary>Projects the video features [T', d] into each layer's cross-attention keys and values.</summary>
    public CrossMemory Remember(DeviceTensor features)
    {
        var keys = new DeviceTensor[_layers.Count];
        var values = new DeviceTensor[_layers.Count];
        var memory = new CrossMemory(keys, values);
        try
        {
            for (int i = 0; i < _layers.Count; i++)
            {
                keys[i] = _backend.Allocate(features.Rows, Heads.Inner);
                values[i] = _backend.Allocate(features.Rows, Heads.Inner);
                _backend.MatMul(features, _layers[i].CrossAttention!.K, keys[i]);
                _backend.MatMul(features, _layers[i].CrossAttention!.V, values[i]);
            }
        }
        catch
        {
            foreach (var t in keys.Concat(values)) t?.Dispose();
            throw;
        }
        return memory;
    }

    /// <summary>
    /// x [n, d] = Σ_k embed_k[ids[k·n + r]] + PE(position of row r): <paramref name="ids"/> is codebook-major
    /// [K, n] with ids in [0, N] (N the special token); positions come from <paramref name="rows"/>.
    /// </summary>
    public void Embed(DeviceIntTensor ids, PagedRows rows, DeviceTensor x, ScratchTensors scratch)
    {
        int n = x.Rows;
        var part = scratch.Get("music.embed.part", n, ModelWidth);
        for (int k = 0; k < Codebooks; k++)
        {
            var lookup = new TokenLookup(IdsOffset: k * n, IdOffset: k * (CodebookSize + 1));
            // Summed in codebook order (VMAS.md §6.3): codebook 0 straight into x, the others added.
            _backend.Embedding(ids, _embeddings, k == 0 ? x : part, lookup);
            if (k > 0) _backend.Add(x, part, x);
        }
        _backend.Embedding(rows.RowPosition, _positions, part, new TokenLookup(IdOffset: rows.Step));
        _backend.Add(x, part, x);
    }

    /// <summary>
    /// Runs embedded rows x [n, d] (the residual stream, changed in place) through the layers, writing each
    /// row's keys and values to the cache; returns the final-normed hidden state [n, d] from scratch.
    /// </summary>
    public DeviceTensor Forward(DeviceTensor x, PagedRows rows, PagedKvCache cache, CrossMemory memory, int conditionedRows,
        ScratchTensors scratch, ActivationTrace? trace)
    {
        var b = _backend;
        int n = x.Rows, d = ModelWidth;
        trace?.Invoke("decoder.embed", x);
        var w = LayerWorkspace.Get(scratch, "music", n, d, Heads.Inner);
        DeviceTensor? zeros = conditionedRows < n ? Zeros(n - conditionedRows) : null;
        for (int i = 0; i < _layers.Count; i++)
        {
            var layer = _layers[i];
            layer.ProjectSelfAttention(b, x, w);
            b.WriteKeyValues(w.K, w.V, cache.Keys(i), cache.Values(i), rows);
            b.PagedAttention(w.Q, cache.Keys(i), cache.Values(i), w.Attended, rows, Heads, _noBias);
            TransformerLayer.AddAttentionOutput(b, layer.SelfAttention, x, w);

            layer.ProjectCrossAttention(b, x, w);
            b.Attention(w.Q, memory.Keys(i), memory.Values(i), w.Attended, Heads, bias: null);
            // The null condition's rows attend to nothing: zero attended rows project to exactly 0 (no biases).
            if (zeros is not null) b.CopyRows(zeros, 0, w.Attended, conditionedRows, n - conditionedRows);
            TransformerLayer.AddAttentionOutput(b, layer.CrossAttention!, x, w);

            layer.AddFeedForward(b, x, w, scratch);
            trace?.Invoke($"decoder.layers.{i}", x);
        }
        var output = scratch.Get("music.out", n, d);
        _finalNorm.Apply(b, x, output);
        trace?.Invoke("decoder.out", output);
        return output;
    }

    /// <summary>[rows, inner] of zeros, kept for the next call of the same size (generations run one at a time).</summary>
    DeviceTensor Zeros(int rows)
    {
        if (_zeros is { } z && z.Rows == rows) return z;
        _backend.Synchronize();
        _zeros?.Dispose();
        _zeros = _backend.Upload(new float[rows * Heads.Inner], rows, Heads.Inner);
        return _zeros;
    }

    /// <summary>logits [n, K·N] = hidden [n, d] · headsᵀ: codebook k's logits are columns [k·N, (k+1)·N).</summary>
    public void Logits(DeviceTensor hidden, DeviceTensor logits) => _backend.MatMul(hidden, _heads, logits);

    /// <summary>Frees the weights; the backend stays the caller's.</summary>
    public void Dispose()
    {
        _backend.Synchronize();
        _zeros?.Dispose();
        _owned.Dispose();
    }
}
