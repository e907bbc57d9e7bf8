using System.Globalization;
using System.Text.Json;
using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Bundles.Vmas;
using V2Meow.Loaders.Safetensors;
using V2Meow.Numerics;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Codecs;
using V2Meow.Runtime.Transformer;
using V2Meow.Runtime.Verification;

namespace V2Meow.Runtime.Families.Vmas;

/// <summary>
/// Checks a vmas-golden/1 file (VMAS.md §10) against the runtime: the video encoder on the recorded frames,
/// the decoder on the recorded delayed ids (conditioned and null), the sampler, whole generated windows, and
/// the codec. Float tensors are judged against their float64 evaluations by SPEC §10.2's rule, integers exactly.
/// </summary>
internal sealed class VmasGoldenVerifiers : IGoldenVerifier
{
    /// <summary>The golden file format this verifier reads.</summary>
    public const string Format = "vmas-golden/1";

    public static VmasGoldenVerifiers Create() => new();

    public IReadOnlyCollection<string> Components { get; } =
        ["encoder", "decoder", "sampling", "generation", "codec", CodecEncoderLayout.Component, VmasContrastiveConfig.Component];

    public VerificationReport Verify(string bundleFolder, string goldenPath, IComputeBackend backend, Action<string>? progress = null)
    {
        using var bundle = VmasBundle.Open(bundleFolder);
        using var golden = SafetensorsFile.Open(goldenPath);
        if (!golden.Metadata.TryGetValue("format", out var format) || format != Format)
            throw new SafetensorsFormatException(golden.Path, null, $"__metadata__ format: expected '{Format}', found '{format ?? "(none)"}'");
        double tolerance = GoldenTolerance.For(bundle.WeightDType);
        var config = bundle.Config;
        using var encoder = VideoEncoder.Load(bundle, backend);
        using var decoder = MusicDecoder.Load(bundle, backend, Math.Max(DelayPattern.Steps(config.WindowCodeFrames, config.Decoder.Codebooks),
            checked((int)golden.Get("decoder.input.ids").Shape[0])));
        var verifiers = new Dictionary<string, Func<IReadOnlyList<TensorComparison>>>(StringComparer.Ordinal)
        {
            ["encoder"] = () => VerifyEncoder(encoder, golden, backend, tolerance),
            ["decoder"] = () => VerifyDecoder(decoder, golden, backend, tolerance),
            ["sampling"] = () => VerifySampling(golden, backend),
            ["generation"] = () => VerifyGeneration(decoder, golden, backend),
            ["codec"] = () =>
            {
                using var codec = CodecDecoders.Load(bundle.Folder, config.Codec, config.Decoder.Codebooks, config.Decoder.CodebookSize,
                    config.SampleRate, bundle.Component("codec"), backend);
                return CodecGoldenVerifier.Verify(codec, golden, tolerance);
            },
            [CodecEncoderLayout.Component] = () =>
            {
                // The codec's optional encoder (SPEC §9.3), when the golden records it.
                if (!bundle.HasComponent(CodecEncoderLayout.Component))
                    throw new SafetensorsFormatException(golden.Path, null,
                        $"holds codec_encoder.* tensors, but {bundle.Folder} has no {CodecEncoderLayout.Component}.safetensors to check them with");
                using var codecEncoder = CodecEncoders.Load(bundle.Folder, config.Codec, config.Decoder.Codebooks, config.Decoder.CodebookSize,
                    config.SampleRate, bundle.Component("codec"), bundle.Component(CodecEncoderLayout.Component), backend);
                return CodecEncoderGoldenVerifier.Verify(codecEncoder, golden, tolerance);
            },
            [VmasContrastiveConfig.Component] = () =>
            {
                // The optional contrastive projections (VMAS.md §14.4), when the golden records them.
                if (!bundle.HasComponent(VmasContrastiveConfig.Component))
                    throw new SafetensorsFormatException(golden.Path, null,
                        $"holds contrastive.* tensors, but {bundle.Folder} has no {VmasContrastiveConfig.Component}.safetensors to check them with");
                return VerifyContrastive(ContrastiveProjections.Load(bundle), golden, tolerance);
            },
        };
        return GoldenVerifier.Run(golden, tolerance, verifiers, progress);
    }

    /// <summary>Runs <paramref name="run"/> with a trace that downloads every tensor it sees, by name.</summary>
    static Dictionary<string, float[]> Traced(IComputeBackend backend, Action<ActivationTrace> run)
    {
        var seen = new Dictionary<string, float[]>(StringComparer.Ordinal);
        run((name, tensor) =>
        {
            var values = new float[tensor.Length];
            backend.Download(tensor, values);
            seen[name] = values;
        });
        return seen;
    }

    /// <summary>Compares every golden tensor under <paramref name="prefix"/> (but not its inputs) with the traced one of its name.</summary>
    static List<TensorComparison> Compare(SafetensorsFile golden, string prefix, IReadOnlyDictionary<string, float[]> traced, double tolerance,
        params string[] inputs)
    {
        var results = new List<TensorComparison>();
        foreach (var entry in golden.Tensors.Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal) && !inputs.Contains(t.Name)))
        {
            if (!traced.TryGetValue(entry.Name, out var actual))
                throw new SafetensorsFormatException(golden.Path, entry.Name, "the runtime produces no tensor of this name (VMAS.md §10)");
            var expected = golden.Get(entry.Name);
            if (expected.ElementCount != actual.Length)
                throw new SafetensorsFormatException(golden.Path, entry.Name, $"{expected.ElementCount} values; the runtime produced {actual.Length}");
            results.Add(TensorComparison.Floats(entry.Name, expected.Entry.ShapeText, actual, expected.ToFloat32(), tolerance));
        }
        return results;
    }

    static IReadOnlyList<TensorComparison> VerifyEncoder(VideoEncoder encoder, SafetensorsFile golden, IComputeBackend backend, double tolerance)
    {
        var frames = golden.Get("encoder.input.frames");
        using var input = backend.Upload(frames.ToFloat32(), frames.Shape.Select(d => checked((int)d)).ToArray());
        using var memory = backend.Allocate(encoder.TimeSteps, encoder.Width);
        var traced = Traced(backend, trace => encoder.Encode(input, memory, trace));
        return Compare(golden, "encoder.", traced, tolerance, "encoder.input.frames");
    }

    static IReadOnlyList<TensorComparison> VerifyDecoder(MusicDecoder decoder, SafetensorsFile golden, IComputeBackend backend, double tolerance)
    {
        var idsView = golden.Get("decoder.input.ids");
        int positions = checked((int)idsView.Shape[0]), K = decoder.Codebooks;
        if (idsView.Shape.Length != 2 || idsView.Shape[1] != K)
            throw new SafetensorsFormatException(golden.Path, "decoder.input.ids", $"expected [positions, {K}], found {idsView.Entry.ShapeText}");
        int[] ids = idsView.ToInt32();
        foreach (int id in ids)
            if ((uint)id > (uint)decoder.CodebookSize)
                throw new SafetensorsFormatException(golden.Path, "decoder.input.ids", $"id {id} is outside [0, {decoder.CodebookSize}]");
        var byCodebook = new int[ids.Length];
        for (int p = 0; p < positions; p++)
            for (int k = 0; k < K; k++) byCodebook[k * positions + p] = ids[p * K + k];

        var memoryView = golden.Get("encoder.memory");
        using var features = backend.Upload(memoryView.ToFloat32(), memoryView.Shape.Select(d => checked((int)d)).ToArray());
        using var memory = decoder.Remember(features);
        using var deviceIds = backend.UploadInts(byCodebook, byCodebook.Length);
        using var rowPosition = backend.UploadInts(Enumerable.Range(0, positions).ToArray(), positions);
        var traced = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (bool conditioned in new[] { true, false })
        {
            using var scratch = new ScratchTensors(backend);
            using var cache = new PagedKvCache(backend, decoder.Layers, decoder.Heads.Inner, PagedKvCache.BlocksFor(1, positions), 1, positions);
            int slot = cache.Create();
            cache.Reserve(slot, positions);
            cache.SyncTables();
            using var rowSlot = backend.UploadInts(Enumerable.Repeat(slot, positions).ToArray(), positions);
            var rows = cache.Rows(rowSlot, rowPosition, 0);
            var x = scratch.Get("x", positions, decoder.ModelWidth);
            var logits = scratch.Get("logits", positions, K * decoder.CodebookSize);
            var run = Traced(backend, trace =>
            {
                decoder.Embed(deviceIds, rows, x, scratch);
                var hidden = decoder.Forward(x, rows, cache, memory, conditioned ? positions : 0, scratch, trace);
                decoder.Logits(hidden, logits);
                trace(conditioned ? "decoder.logits" : "decoder.logits_null", logits);
            });
            if (conditioned) foreach (var (name, values) in run) traced[name] = values;
            else traced["decoder.logits_null"] = run["decoder.logits_null"];
            backend.Synchronize();
        }
        return Compare(golden, "decoder.", traced, tolerance, "decoder.input.ids");
    }

    static IReadOnlyList<TensorComparison> VerifySampling(SafetensorsFile golden, IComputeBackend backend)
    {
        var logitsView = golden.Get("sampling.logits");
        if (logitsView.Shape.Length != 2 || logitsView.DType != DType.F32)
            throw new SafetensorsFormatException(golden.Path, "sampling.logits", $"expected F32 [rows, vocab], found {DTypes.Name(logitsView.DType)} {logitsView.Entry.ShapeText}");
        int rows = checked((int)logitsView.Shape[0]), vocab = checked((int)logitsView.Shape[1]);
        var (stream, lo, hi, cases) = GoldenMetadata.Read(golden, "sampling", "the sampling cases", root =>
        {
            if (root.GetProperty("counter").GetString() != "row index")
                throw new SafetensorsFormatException(golden.Path, null, "sampling metadata: only counter \"row index\" is known");
            var range = root.GetProperty("range");
            return (root.GetProperty("stream").GetUInt64(), range[0].GetInt32(), range[1].GetInt32(),
                root.GetProperty("cases").EnumerateArray().Select(c => (Name: c.GetProperty("name").GetString()!,
                    Temperature: c.GetProperty("temperature").GetDouble(), TopK: c.GetProperty("top_k").GetInt32(),
                    Seed: ulong.Parse(c.GetProperty("seed").GetString()!, CultureInfo.InvariantCulture))).ToList());
        });
        using var logits = backend.Upload(logitsView.ToFloat32(), rows, vocab);
        using var output = backend.AllocateInts(rows);
        var results = new List<TensorComparison>();
        var listed = new HashSet<string>(StringComparer.Ordinal) { "sampling.logits" };
        foreach (var c in cases)
        {
            var expected = golden.Get(c.Name, [rows], DType.I32).ToInt32();
            backend.Sample(logits, c.Temperature, new SamplingRequest
            {
                Lo = lo, Hi = hi, TopK = c.TopK, Candidates = 1, Seed = c.Seed, StreamBase = stream, StreamStep = 0, CounterBase = 0, CounterStep = 1,
            }, output);
            var actual = new int[rows];
            backend.DownloadInts(output, actual);
            results.Add(TensorComparison.Integers(c.Name, $"[{rows}]", actual, expected));
            listed.Add(c.Name);
        }
        foreach (var entry in golden.Tensors.Where(t => t.Name.StartsWith("sampling.", StringComparison.Ordinal) && !listed.Contains(t.Name)))
            throw new SafetensorsFormatException(golden.Path, entry.Name, "not one of the cases in the \"sampling\" metadata");
        return results;
    }

    /// <summary>
    /// The video vector of the golden's float32 encoder.memory (one window), the music vectors of its recordings' codes
    /// and their similarities (VMAS.md §14.4).
    /// </summary>
    static IReadOnlyList<TensorComparison> VerifyContrastive(ContrastiveProjections projections, SafetensorsFile golden, double tolerance)
    {
        var memory = golden.Get("encoder.memory");
        if (memory.Shape.Length != 2 || memory.Shape[1] != projections.VideoWidth)
            throw new SafetensorsFormatException(golden.Path, "encoder.memory", $"expected [rows, {projections.VideoWidth}], found {memory.Entry.ShapeText}");
        var codesView = golden.Get("contrastive.input.codes");
        if (codesView.Shape.Length != 3 || codesView.DType != DType.I32)
            throw new SafetensorsFormatException(golden.Path, "contrastive.input.codes",
                $"expected I32 [recordings, levels, frames], found {DTypes.Name(codesView.DType)} {codesView.Entry.ShapeText}");
        int recordings = checked((int)codesView.Shape[0]), levels = checked((int)codesView.Shape[1]), frames = checked((int)codesView.Shape[2]);
        int[] codes = codesView.ToInt32();

        var sum = projections.StartVideo();
        sum.Add(memory.ToFloat32());
        float[] video = projections.Video(sum);
        var music = new float[recordings * projections.Dim];
        var similarity = new float[recordings];
        for (int r = 0; r < recordings; r++)
        {
            float[] m;
            try
            {
                m = projections.Music(codes.AsSpan(r * levels * frames, levels * frames), levels);
            }
            catch (ArgumentException e)
            {
                throw new SafetensorsFormatException(golden.Path, "contrastive.input.codes", $"recording {r}: {e.Message}");
            }
            m.CopyTo(music, r * projections.Dim);
            similarity[r] = (float)ContrastiveProjections.Similarity(video, m);
        }
        var traced = new Dictionary<string, float[]>(StringComparer.Ordinal)
        {
            ["contrastive.video"] = video,
            ["contrastive.music"] = music,
            ["contrastive.similarity"] = similarity,
        };
        return Compare(golden, "contrastive.", traced, tolerance, "contrastive.input.codes");
    }

    sealed record GenerationCase(string Name, double Temperature, int TopK, double Guidance, ulong Seed, int Frames, long FirstFrame,
        int PromptFrames, string? Prompt);

    static IReadOnlyList<TensorComparison> VerifyGeneration(MusicDecoder decoder, SafetensorsFile golden, IComputeBackend backend)
    {
        var cases = GoldenMetadata.Read(golden, "generation", "the generation cases", root => root.EnumerateObject().Select(p =>
        {
            var c = p.Value;
            if (c.GetProperty("stream").GetInt32() != 1 || c.GetProperty("candidate").GetInt32() != 0)
                throw new SafetensorsFormatException(golden.Path, null, $"generation case '{p.Name}': only stream 1, candidate 0 is known");
            return new GenerationCase(p.Name, c.GetProperty("temperature").GetDouble(), c.GetProperty("top_k").GetInt32(),
                c.GetProperty("guidance").GetDouble(), ulong.Parse(c.GetProperty("seed").GetString()!, CultureInfo.InvariantCulture),
                c.GetProperty("frames").GetInt32(), c.GetProperty("first_frame").GetInt64(), c.GetProperty("prompt_frames").GetInt32(),
                c.GetProperty("prompt").ValueKind == JsonValueKind.String ? c.GetProperty("prompt").GetString() : null);
        }).ToList());

        var memoryView = golden.Get("encoder.memory");
        using var features = backend.Upload(memoryView.ToFloat32(), memoryView.Shape.Select(d => checked((int)d)).ToArray());
        using var memory = decoder.Remember(features);
        var generator = new MusicTokenGenerator(backend, decoder);
        var results = new List<TensorComparison>();
        var listed = new HashSet<string>(StringComparer.Ordinal);
        int K = decoder.Codebooks;
        foreach (var c in cases)
        {
            int[] prompt = c.Prompt is null ? [] : golden.Get(c.Prompt, [K, c.PromptFrames], DType.I32).ToInt32();
            if (c.Prompt is not null) listed.Add(c.Prompt);
            string name = $"generation.codes.{c.Name}";
            var expected = golden.Get(name, [K, c.Frames], DType.I32).ToInt32();
            // The golden counts first_frame from the first sampled frame; the generator from the window's frame 0.
            var actual = generator.Generate([prompt], c.PromptFrames, c.Frames, memory,
                new MusicSampling(c.Temperature, c.TopK, c.Guidance, c.Seed, 1), c.FirstFrame - c.PromptFrames)[0];
            // The prompt's columns are the input, not generated: the reference leaves them as given too.
            results.Add(TensorComparison.Integers(name, $"[{K}, {c.Frames}]", actual, expected));
            listed.Add(name);
        }
        foreach (var entry in golden.Tensors.Where(t => t.Name.StartsWith("generation.", StringComparison.Ordinal) && !listed.Contains(t.Name)))
            throw new SafetensorsFormatException(golden.Path, entry.Name, "not one of the cases in the \"generation\" metadata");
        return results;
    }
}
