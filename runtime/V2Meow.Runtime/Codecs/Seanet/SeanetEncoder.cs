using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Codecs.Seanet;

/// <summary>
/// The codec's optional encoder for both kinds (SPEC §9.3): waveform [T · hop] → SEANet encoder → latent → RVQ
/// search → codes [Q', T]. The decoder's blocks in reverse: per block its residual units at the block's input
/// rate, the activation, then a strided convolution (kernel 2s, stride s); the encodec kind narrows the residual
/// units and adds x + LSTM(x) after the blocks (VMAS.md §9). The codebooks are the codec file's; with out_proj the
/// encoder file's rvq.in_proj maps the latent into them. Owns its weights on one backend; dispose it before the backend.
/// </summary>
public sealed class SeanetEncoder : ICodecEncoder
{
    readonly IComputeBackend _backend;
    readonly List<DeviceTensor> _weights = [];
    readonly DeviceTensor _codebooks;
    readonly ConvWeights _inConv;
    readonly BlockWeights[] _blocks;
    readonly LstmWeights[] _lstm;
    readonly DeviceTensor? _outAct;
    readonly ConvWeights _outConv;
    readonly ConvWeights? _inProj;
    readonly int[] _channels;
    bool _disposed;

    /// <inheritdoc/>
    public string Kind => Config.Kind;
    /// <summary>The bundle's codec section (SPEC §3.10) the encoder mirrors.</summary>
    public CodecConfig Config { get; }
    /// <inheritdoc/>
    public int Levels { get; }
    /// <inheritdoc/>
    public int CodebookSize { get; }
    /// <inheritdoc/>
    public int Hop { get; }
    /// <inheritdoc/>
    public int SampleRate { get; }
    /// <summary>How every convolution pads, the strided ones included: causal or centred (SPEC §9.2, §9.3).</summary>
    public ConvPadding Padding { get; }

    sealed record ConvWeights(DeviceTensor Weight, DeviceTensor Bias);
    // The Act* tensors are Snake alphas [channels]; null when the codec's activation is ELU.
    sealed record ResidualWeights(DeviceTensor? Act1, ConvWeights Conv1, DeviceTensor? Act2, ConvWeights Conv2, int Dilation);
    sealed record BlockWeights(ResidualWeights[] Units, DeviceTensor? Act, ConvWeights Down, int Stride);
    sealed record LstmWeights(ConvWeights Input, DeviceTensor WeightHh, DeviceTensor BiasHh);

    SeanetEncoder(CodecConfig config, int levels, int codebookSize, int sampleRate, SafetensorsFile codec, SafetensorsFile encoder,
        IComputeBackend backend)
    {
        _backend = backend;
        Config = config;
        Levels = levels;
        CodebookSize = codebookSize;
        Hop = config.Strides.Aggregate(1, (a, b) => checked(a * b));
        SampleRate = sampleRate;
        Padding = config.IsCausal ? ConvPadding.Causal : ConvPadding.Centred;
        _channels = config.Channels.Reverse().ToArray();
        var strides = config.Strides.Reverse().ToArray();

        try
        {
            _codebooks = Upload(codec, "rvq.codebooks");
            _inConv = Conv(encoder, "encoder.in_conv");
            _blocks = new BlockWeights[strides.Length];
            for (int b = 0; b < _blocks.Length; b++)
            {
                var units = new ResidualWeights[config.ResidualDilations.Count];
                for (int r = 0; r < units.Length; r++)
                    units[r] = new ResidualWeights(
                        Alpha(encoder, $"encoder.blocks.{b}.res.{r}.act1"),
                        Conv(encoder, $"encoder.blocks.{b}.res.{r}.conv1"),
                        Alpha(encoder, $"encoder.blocks.{b}.res.{r}.act2"),
                        Conv(encoder, $"encoder.blocks.{b}.res.{r}.conv2"),
                        config.ResidualDilations[r]);
                _blocks[b] = new BlockWeights(units, Alpha(encoder, $"encoder.blocks.{b}.act"), Conv(encoder, $"encoder.blocks.{b}.down"), strides[b]);
            }
            int width = _channels[^1];
            _lstm = new LstmWeights[config.LstmLayers];
            for (int l = 0; l < _lstm.Length; l++)
                _lstm[l] = new LstmWeights(
                    new ConvWeights(Upload(encoder, $"encoder.lstm.{l}.weight_ih", 4 * width, width, 1), Upload(encoder, $"encoder.lstm.{l}.bias_ih")),
                    Upload(encoder, $"encoder.lstm.{l}.weight_hh"), Upload(encoder, $"encoder.lstm.{l}.bias_hh"));
            _outAct = Alpha(encoder, "encoder.out_act");
            _outConv = Conv(encoder, "encoder.out_conv");
            if (config.OutProj)
            {
                // in_proj is a Linear [D, C_latent] per frame: on the [C_latent, T] latent a kernel-1 convolution.
                _inProj = new ConvWeights(
                    Upload(encoder, "rvq.in_proj.weight", config.CodebookDim, config.LatentDim, 1),
                    Upload(encoder, "rvq.in_proj.bias"));
            }
        }
        catch
        {
            // A weight that fails to upload (out of device memory) must not leak the ones before it.
            foreach (var t in _weights) t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Uploads the codebooks of a validated codec file and the weights of its validated codec_encoder file, for a
    /// codec of <paramref name="levels"/> levels of <paramref name="codebookSize"/> codes, to <paramref name="backend"/>.
    /// </summary>
    public static SeanetEncoder Load(CodecConfig config, int levels, int codebookSize, int sampleRate, SafetensorsFile codec,
        SafetensorsFile encoder, IComputeBackend backend) => new(config, levels, codebookSize, sampleRate, codec, encoder, backend);

    /// <summary>
    /// Frames of context one frame's latent can depend on, on each side: the in/out convs, each residual unit and
    /// each strided conv, measured in samples at their own rates, then in frames, rounded up. With an LSTM the
    /// whole sequence is the context.
    /// </summary>
    public int ReceptiveFieldFrames
    {
        get
        {
            if (Config.LstmLayers > 0) return int.MaxValue;
            double samples = Config.KernelSize - 1, rate = 1;
            foreach (var block in _blocks)
            {
                foreach (var unit in block.Units) samples += (Config.ResidualKernelSize - 1) * unit.Dilation * rate;
                samples += 2.0 * block.Stride * rate;
                rate *= block.Stride;
            }
            samples += (Config.KernelSize - 1) * rate;
            return (int)Math.Ceiling(samples / Hop) + 2;
        }
    }

    DeviceTensor? Alpha(SafetensorsFile file, string prefix) => Config.IsSnake ? Upload(file, prefix + ".alpha") : null;

    ConvWeights Conv(SafetensorsFile file, string prefix) => new(Upload(file, prefix + ".weight"), Upload(file, prefix + ".bias"));

    DeviceTensor Upload(SafetensorsFile file, string name, params int[] shape)
    {
        var view = file.Get(name);
        int[] dims = shape.Length > 0 ? shape : view.Shape.Select(d => checked((int)d)).ToArray();
        // f16 and bf16 weights are widened exactly to f32 here; the encoder computes in f32 (SPEC §2.4).
        var tensor = _backend.Upload(view.ToFloat32(), dims);
        _weights.Add(tensor);
        return tensor;
    }

    /// <summary>1 ≤ levels ≤ Q, or an <see cref="ArgumentException"/> naming both.</summary>
    void CheckLevels(int levels)
    {
        if (levels < 1 || levels > Levels)
            throw new ArgumentException($"codec encoder: {levels} levels asked for; this codec has {Levels} (expected 1 to {Levels})", nameof(levels));
    }

    /// <inheritdoc/>
    public int[] Encode(ReadOnlySpan<float> waveform, int levels)
    {
        CheckLevels(levels);
        int[] codes = [];
        Run(waveform, (_, _) => { }, latent => codes = Search(latent, levels));
        return codes;
    }

    /// <inheritdoc/>
    public int[] Quantize(ReadOnlySpan<float> latent, int levels)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckLevels(levels);
        if (latent.Length % Config.CodebookDim != 0)
            throw new ArgumentException($"codec encoder: {latent.Length} latent values do not fill [{Config.CodebookDim}, frames]", nameof(latent));
        using var tensor = _backend.Upload(latent, Config.CodebookDim, latent.Length / Config.CodebookDim);
        return Search(tensor, levels);
    }

    /// <inheritdoc/>
    public IReadOnlyList<CodecTensor> Trace(ReadOnlySpan<float> waveform)
    {
        var result = new List<CodecTensor>();
        Run(waveform, (name, tensor) =>
        {
            var values = new float[tensor.Length];
            _backend.Download(tensor, values);
            result.Add(new CodecTensor(name, tensor.Shape, values));
        }, _ => { });
        return result;
    }

    int[] Search(DeviceTensor latent, int levels)
    {
        int frames = latent.Shape[1];
        using var codes = _backend.AllocateInts(levels, frames);
        _backend.RvqEncode(_codebooks, latent, levels, codes);
        var values = new int[levels * frames];
        _backend.DownloadInts(codes, values);
        return values;
    }

    /// <summary>
    /// SPEC §9.3, op by op, on the waveform zero-padded to whole frames; <paramref name="observe"/> sees each
    /// golden-named tensor as it is ready, <paramref name="latentReady"/> the latent the RVQ searches.
    /// </summary>
    void Run(ReadOnlySpan<float> waveform, Action<string, DeviceTensor> observe, Action<DeviceTensor> latentReady)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int frames = checked((int)((waveform.Length + (long)Hop - 1) / Hop));
        int length = checked(frames * Hop);
        var b = _backend;
        using var scratch = new Scratch(b);

        var padded = new float[length];
        waveform.CopyTo(padded);
        var input = scratch.Upload(padded, 1, length);
        var x = scratch.Allocate(_channels[0], length);
        b.Conv1d(input, _inConv.Weight, _inConv.Bias, x, 1, Padding);
        observe("codec_encoder.in_conv", x);
        scratch.ReleaseAllBut(x);

        for (int i = 0; i < _blocks.Length; i++)
        {
            var block = _blocks[i];
            int channels = _channels[i];
            var activated = scratch.Allocate(channels, length);
            var hidden = scratch.Allocate(channels / Config.Compress, length);
            foreach (var unit in block.Units)
            {
                // x = x + conv2(act2(conv1(act1(x)))), the residual added inside conv2.
                Activate(x, unit.Act1, activated);
                b.Conv1d(activated, unit.Conv1.Weight, unit.Conv1.Bias, hidden, unit.Dilation, Padding);
                Activate(hidden, unit.Act2, hidden);
                b.Conv1d(hidden, unit.Conv2.Weight, unit.Conv2.Bias, x, 1, Padding, residual: x);
            }
            Activate(x, block.Act, x); // x itself is not needed after the activation
            length /= block.Stride;
            var y = scratch.Allocate(_channels[i + 1], length);
            b.StridedConv1d(x, block.Down.Weight, block.Down.Bias, y, block.Stride, Padding);
            observe($"codec_encoder.blocks.{i}", y);
            scratch.ReleaseAllBut(y);
            x = y;
        }

        if (_lstm.Length > 0)
        {
            // As the decoder's (VMAS.md §9): x = x + LSTM(x), each layer reading the previous layer's h.
            int width = _channels[^1];
            var gates = scratch.Allocate(4 * width, frames);
            var h = x;
            foreach (var layer in _lstm)
            {
                b.Conv1d(h, layer.Input.Weight, layer.Input.Bias, gates, 1, Padding);
                var next = scratch.Allocate(width, frames);
                b.Lstm(gates, layer.WeightHh, layer.BiasHh, next);
                h = next;
            }
            var summed = scratch.Allocate(width, frames);
            b.Add(x, h, summed);
            x = summed;
            observe("codec_encoder.lstm", x);
            scratch.ReleaseAllBut(x);
        }

        Activate(x, _outAct, x);
        var latent = scratch.Allocate(Config.LatentDim, frames);
        b.Conv1d(x, _outConv.Weight, _outConv.Bias, latent, 1, Padding);
        if (_inProj is not null)
        {
            var projected = scratch.Allocate(Config.CodebookDim, frames);
            b.Conv1d(latent, _inProj.Weight, _inProj.Bias, projected, 1, Padding);
            latent = projected;
        }
        observe("codec_encoder.latent", latent);
        latentReady(latent);
    }

    /// <summary>The codec's activation at one site: Snake with that site's alphas, or ELU.</summary>
    void Activate(DeviceTensor input, DeviceTensor? alpha, DeviceTensor output)
    {
        if (alpha is null) _backend.Elu(input, output);
        else _backend.Snake(input, alpha, output);
    }

    /// <summary>The encode's temporaries, released only after the backend has synchronised.</summary>
    sealed class Scratch(IComputeBackend backend) : IDisposable
    {
        readonly List<DeviceTensor> _tensors = [];

        public DeviceTensor Allocate(params int[] shape) => Keep(backend.Allocate(shape));

        public DeviceTensor Upload(ReadOnlySpan<float> values, params int[] shape) => Keep(backend.Upload(values, shape));

        DeviceTensor Keep(DeviceTensor tensor)
        {
            _tensors.Add(tensor);
            return tensor;
        }

        public void ReleaseAllBut(DeviceTensor keep)
        {
            backend.Synchronize();
            foreach (var t in _tensors)
                if (!ReferenceEquals(t, keep)) t.Dispose();
            _tensors.RemoveAll(t => !ReferenceEquals(t, keep));
        }

        public void Dispose()
        {
            backend.Synchronize();
            foreach (var t in _tensors) t.Dispose();
            _tensors.Clear();
        }
    }

    /// <summary>Waits for the backend, then frees the encoder's weights; the backend stays the caller's.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _backend.Synchronize();
        foreach (var t in _weights) t.Dispose();
        _weights.Clear();
    }
}
