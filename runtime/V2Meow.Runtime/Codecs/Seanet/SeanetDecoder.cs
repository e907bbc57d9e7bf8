using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Codecs.Seanet;

/// <summary>
/// The codec of both kinds this build decodes: RVQ codes [Q', T] → latent → SEANet decoder → waveform
/// [T · hop]. SoundStream's decoder (SPEC §9) and EnCodec's (VMAS.md §9) are both SEANet decoders; the
/// encodec kind adds LSTM layers after the input convolution and narrows each residual unit. Owns its
/// weights on one backend; dispose it before the backend.
/// </summary>
public sealed class SeanetDecoder : ICodecDecoder
{
    readonly IComputeBackend _backend;
    readonly List<DeviceTensor> _weights = [];
    readonly DeviceTensor _codebooks;
    readonly ConvWeights? _outProj;
    readonly ConvWeights _inConv;
    readonly LstmWeights[] _lstm;
    readonly BlockWeights[] _blocks;
    readonly DeviceTensor? _outAct;
    readonly ConvWeights _outConv;
    bool _disposed;

    /// <summary>codec.kind of SoundStream's decoder (SPEC §9).</summary>
    public const string SoundStreamKind = "soundstream";
    /// <summary>codec.kind of EnCodec's decoder (VMAS.md §9).</summary>
    public const string EncodecKind = "encodec";

    /// <inheritdoc/>
    public string Kind => Config.Kind;
    /// <summary>The bundle's codec section (SPEC §3.10) the decoder was built from.</summary>
    public CodecConfig Config { get; }
    /// <summary>Q: the quantizer levels the codec has; a decode may use the first 1 … Q.</summary>
    public int Levels { get; }
    /// <summary>K: codes per level.</summary>
    public int CodebookSize { get; }
    /// <summary>Samples per frame, the product of the strides.</summary>
    public int Hop { get; }
    /// <inheritdoc/>
    public int SampleRate { get; }
    /// <summary>How every convolution pads: causal or centred (SPEC §9.2).</summary>
    public ConvPadding Padding { get; }

    sealed record ConvWeights(DeviceTensor Weight, DeviceTensor Bias);
    // The Act* tensors are Snake alphas [channels]; null when the codec's activation is ELU.
    sealed record ResidualWeights(DeviceTensor? Act1, ConvWeights Conv1, DeviceTensor? Act2, ConvWeights Conv2, int Dilation);
    sealed record BlockWeights(DeviceTensor? Act, ConvWeights Up, int Stride, ResidualWeights[] Units);
    // W_ih x + b_ih runs as a kernel-1 convolution over all frames; the recurrence reads W_hh and b_hh.
    sealed record LstmWeights(ConvWeights Input, DeviceTensor WeightHh, DeviceTensor BiasHh);

    SeanetDecoder(CodecConfig config, int levels, int codebookSize, int sampleRate, SafetensorsFile file, IComputeBackend backend)
    {
        _backend = backend;
        Config = config;
        Levels = levels;
        CodebookSize = codebookSize;
        Hop = config.Strides.Aggregate(1, (a, b) => checked(a * b));
        SampleRate = sampleRate;
        Padding = Config.IsCausal ? ConvPadding.Causal : ConvPadding.Centred;

        try
        {
            _codebooks = Upload(file, "rvq.codebooks");
            if (Config.OutProj)
            {
                // out_proj is a Linear [C_latent, D] applied per frame: on the [D, T] latent that is a
                // kernel-1 convolution, so it runs as one (no transposes, no separate bias add).
                _outProj = new ConvWeights(
                    Upload(file, "rvq.out_proj.weight", Config.LatentDim, Config.CodebookDim, 1),
                    Upload(file, "rvq.out_proj.bias"));
            }
            _inConv = Conv(file, "decoder.in_conv");
            int width = Config.Channels[0];
            _lstm = new LstmWeights[Config.LstmLayers];
            for (int l = 0; l < _lstm.Length; l++)
                _lstm[l] = new LstmWeights(
                    new ConvWeights(Upload(file, $"decoder.lstm.{l}.weight_ih", 4 * width, width, 1), Upload(file, $"decoder.lstm.{l}.bias_ih")),
                    Upload(file, $"decoder.lstm.{l}.weight_hh"), Upload(file, $"decoder.lstm.{l}.bias_hh"));
            _blocks = new BlockWeights[Config.Strides.Count];
            for (int b = 0; b < _blocks.Length; b++)
            {
                var units = new ResidualWeights[Config.ResidualDilations.Count];
                for (int r = 0; r < units.Length; r++)
                    units[r] = new ResidualWeights(
                        Alpha(file, $"decoder.blocks.{b}.res.{r}.act1"),
                        Conv(file, $"decoder.blocks.{b}.res.{r}.conv1"),
                        Alpha(file, $"decoder.blocks.{b}.res.{r}.act2"),
                        Conv(file, $"decoder.blocks.{b}.res.{r}.conv2"),
                        Config.ResidualDilations[r]);
                _blocks[b] = new BlockWeights(Alpha(file, $"decoder.blocks.{b}.act"),
                    Conv(file, $"decoder.blocks.{b}.up"), Config.Strides[b], units);
            }
            _outAct = Alpha(file, "decoder.out_act");
            _outConv = Conv(file, "decoder.out_conv");
        }
        catch
        {
            // A weight that fails to upload (out of device memory) must not leak the ones before it.
            foreach (var t in _weights) t.Dispose();
            throw;
        }
    }

    /// <summary>Uploads the codec weights of an opened (hence validated) v2meow/1 bundle to <paramref name="backend"/>.</summary>
    public static SeanetDecoder Load(Bundle bundle, IComputeBackend backend) =>
        new(bundle.Config.Codec, bundle.Config.TotalLevels, bundle.Config.Tokens.CodebookSize, bundle.Config.Rates.SampleRate,
            bundle.Component("codec"), backend);

    /// <summary>
    /// Uploads a validated codec file of <paramref name="levels"/> levels of <paramref name="codebookSize"/> codes
    /// (the family's config says how many) to <paramref name="backend"/>.
    /// </summary>
    public static SeanetDecoder Load(CodecConfig config, int levels, int codebookSize, int sampleRate, SafetensorsFile file,
        IComputeBackend backend) => new(config, levels, codebookSize, sampleRate, file, backend);

    /// <summary>
    /// Frames of context the output at one frame can depend on, on each side: the in/out convs, each
    /// transposed conv and each residual unit, each measured at its own rate (SPEC §9), rounded up. An LSTM
    /// carries state from the first frame to the last, so with one the whole sequence is the context.
    /// </summary>
    public int ReceptiveFieldFrames
    {
        get
        {
            var codec = Config;
            if (codec.LstmLayers > 0) return int.MaxValue;
            double frames = codec.KernelSize - 1;
            double rate = 1;
            foreach (int stride in codec.Strides)
            {
                rate *= stride;
                frames += 2.0 * stride / rate;
                foreach (int dilation in codec.ResidualDilations) frames += (codec.ResidualKernelSize - 1) * dilation / rate;
            }
            frames += (codec.KernelSize - 1) / rate;
            return (int)Math.Ceiling(frames) + 2;
        }
    }

    DeviceTensor? Alpha(SafetensorsFile file, string prefix) =>
        Config.IsSnake ? Upload(file, prefix + ".alpha") : null;

    ConvWeights Conv(SafetensorsFile file, string prefix) =>
        new(Upload(file, prefix + ".weight"), Upload(file, prefix + ".bias"));

    DeviceTensor Upload(SafetensorsFile file, string name, params int[] shape)
    {
        var view = file.Get(name);
        int[] dims = shape.Length > 0 ? shape : view.Shape.Select(d => checked((int)d)).ToArray();
        // f16 and bf16 weights are widened exactly to f32 here; the decoder computes in f32 (SPEC §2.4).
        var tensor = _backend.Upload(view.ToFloat32(), dims);
        _weights.Add(tensor);
        return tensor;
    }

    /// <summary>Decodes codes [levels, frames] (row q holds level q, SPEC §7.4) to the waveform [frames · hop].</summary>
    public float[] Decode(int[,] codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        int levels = codes.GetLength(0), frames = codes.GetLength(1);
        var flat = new int[levels * frames];
        for (int q = 0; q < levels; q++)
            for (int t = 0; t < frames; t++)
                flat[q * frames + t] = codes[q, t];
        return Decode(flat, levels);
    }

    /// <summary>
    /// Decodes codes [levels, frames], row-major, to the waveform [frames · hop] in [−1, 1]. The first
    /// <paramref name="levels"/> of the codec's Q are used (fewer give a coarser reconstruction).
    /// </summary>
    public float[] Decode(ReadOnlySpan<int> codes, int levels)
    {
        float[]? waveform = null;
        Run(codes, levels, (name, tensor) =>
        {
            if (name != "codec.waveform") return;
            waveform = new float[tensor.Length];
            _backend.Download(tensor, waveform);
        });
        return waveform!;
    }

    /// <summary>
    /// Decodes as <see cref="Decode(ReadOnlySpan{int}, int)"/> and returns every intermediate the goldens
    /// record: codec.latent, codec.in_conv, codec.lstm (encodec), codec.blocks.{b}, codec.waveform (SPEC §10).
    /// </summary>
    public IReadOnlyList<CodecTensor> Trace(ReadOnlySpan<int> codes, int levels)
    {
        var result = new List<CodecTensor>();
        Run(codes, levels, (name, tensor) =>
        {
            var values = new float[tensor.Length];
            _backend.Download(tensor, values);
            int[] shape = name == "codec.waveform" ? [tensor.Length] : tensor.Shape;
            result.Add(new CodecTensor(name, shape, values));
        });
        return result;
    }

    /// <summary>
    /// Checks codes [levels, frames] against this codec: 1 ≤ levels ≤ Q, length levels · frames, every code
    /// in [0, K). Throws an <see cref="ArgumentException"/> naming the first problem; returns frames.
    /// </summary>
    public int CheckCodes(ReadOnlySpan<int> codes, int levels)
    {
        if (levels < 1 || levels > Levels)
            throw new ArgumentException(
                $"codec: codes have {levels} levels; this codec has {Levels} (expected 1 to {Levels})", nameof(levels));
        if (codes.Length % levels != 0)
            throw new ArgumentException(
                $"codec: {codes.Length} codes do not fill {levels} levels × whole frames", nameof(codes));
        int frames = codes.Length / levels;
        CodecChecks.RvqCodeRange(codes, levels, frames, CodebookSize, "codec");
        return frames;
    }

    /// <summary>SPEC §9.1, op by op; <paramref name="observe"/> sees each golden-named tensor as it is ready.</summary>
    void Run(ReadOnlySpan<int> codes, int levels, Action<string, DeviceTensor> observe)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int frames = CheckCodes(codes, levels);
        var b = _backend;
        using var scratch = new Scratch(b);

        var latent = scratch.Allocate(Config.CodebookDim, frames);
        using (var deviceCodes = b.UploadInts(codes, levels, frames))
            b.RvqLookup(_codebooks, deviceCodes, levels, latent);
        if (_outProj is not null)
        {
            var projected = scratch.Allocate(Config.LatentDim, frames);
            b.Conv1d(latent, _outProj.Weight, _outProj.Bias, projected, 1, Padding);
            latent = projected;
        }
        observe("codec.latent", latent);

        // No activation before in_conv (SPEC §9.1).
        var x = scratch.Allocate(Config.Channels[0], frames);
        b.Conv1d(latent, _inConv.Weight, _inConv.Bias, x, 1, Padding);
        observe("codec.in_conv", x);
        scratch.ReleaseAllBut(x);

        if (_lstm.Length > 0)
        {
            // VMAS.md §9: x = x + LSTM(x), the layers stacked, each reading the previous layer's h.
            int width = Config.Channels[0];
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
            observe("codec.lstm", x);
            scratch.ReleaseAllBut(x);
        }

        int length = frames;
        for (int i = 0; i < _blocks.Length; i++)
        {
            var block = _blocks[i];
            int channels = Config.Channels[i + 1];
            length *= block.Stride;
            Activate(x, block.Act, x); // x itself is not needed after the activation
            var y = scratch.Allocate(channels, length);
            b.ConvTranspose1d(x, block.Up.Weight, block.Up.Bias, y, block.Stride, Padding);
            var activated = scratch.Allocate(channels, length);
            var hidden = scratch.Allocate(channels / Config.Compress, length);
            foreach (var unit in block.Units)
            {
                // y = y + conv2(act2(conv1(act1(y)))), the residual added inside conv2.
                Activate(y, unit.Act1, activated);
                b.Conv1d(activated, unit.Conv1.Weight, unit.Conv1.Bias, hidden, unit.Dilation, Padding);
                Activate(hidden, unit.Act2, hidden);
                b.Conv1d(hidden, unit.Conv2.Weight, unit.Conv2.Bias, y, 1, Padding, residual: y);
            }
            observe($"codec.blocks.{i}", y);
            scratch.ReleaseAllBut(y);
            x = y;
        }

        Activate(x, _outAct, x);
        var waveform = scratch.Allocate(1, length);
        b.Conv1d(x, _outConv.Weight, _outConv.Bias, waveform, 1, Padding);
        b.Tanh(waveform, waveform);
        observe("codec.waveform", waveform);
    }

    /// <summary>The codec's activation at one site: Snake with that site's alphas, or ELU.</summary>
    void Activate(DeviceTensor input, DeviceTensor? alpha, DeviceTensor output)
    {
        if (alpha is null) _backend.Elu(input, output);
        else _backend.Snake(input, alpha, output);
    }

    /// <summary>
    /// The decode's temporaries. Released only after the backend has synchronised, since queued kernels
    /// may still be reading them.
    /// </summary>
    sealed class Scratch(IComputeBackend backend) : IDisposable
    {
        readonly List<DeviceTensor> _tensors = [];

        public DeviceTensor Allocate(params int[] shape)
        {
            var tensor = backend.Allocate(shape);
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

    /// <summary>Waits for the backend, then frees the codec's weights; the backend stays the caller's.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _backend.Synchronize();
        foreach (var t in _weights) t.Dispose();
        _weights.Clear();
    }
}
