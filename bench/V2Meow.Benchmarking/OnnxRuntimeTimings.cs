using Microsoft.ML.OnnxRuntime;
using System.Globalization;
using System.Security.Cryptography;
using V2Meow.Loaders.Safetensors;

namespace V2Meow.Benchmarking;

/// <summary>One stage on ONNX Runtime: prefill, and decode at batch 1 and the runtime's batch.</summary>
public sealed record OnnxStageTiming(int PrefillTokens, double PrefillTokensPerSecond, int DecodeTokens, double DecodeTokensPerSecond,
    int Batch, double BatchDecodeTokensPerSecond);

/// <summary>
/// ONNX Runtime running the reference's ONNX export (bench/pytorch/export_onnx.py) of the same bundle: the
/// third column of the side-by-side. Same work as the other two: one window's teacher-forced prefill with the
/// encoder, a decode of N tokens from an empty cache (argmax each step, past keys and values fed back as
/// ORT values, the cross-attention keys and values computed once beforehand as the runtime does), at batch 1
/// and at the runtime's batch, and the codec. Weights are f32 (the reference's), every graph optimisation on,
/// the same threads. Before anything is timed, ONNX Runtime's outputs are checked against the reference's
/// (check.safetensors from the export); a graph that disagrees is an error, not a figure.
/// </summary>
public sealed record OnnxRuntimeTimings(
    string Engine,
    int Threads,
    IReadOnlyDictionary<string, OnnxStageTiming> Stages,
    double CodecAudioSeconds,
    double CodecAudioSecondsPerSecond,
    double WorstCheckError)
{
    /// <summary>Largest |ONNX Runtime − PyTorch| / max |PyTorch| accepted in the check: f32 in another order, well below a sampling difference.</summary>
    public const double CheckTolerance = 1e-3;

    /// <summary>Exports (or reuses the export in the cache), checks and times the bundle on ONNX Runtime.</summary>
    public static OnnxRuntimeTimings Measure(PythonTorch python, ReferenceScripts scripts, string bundle, string cache,
        int decodeSteps, int prefillTokens, int batch, double codecSeconds, int repeats, int threads, Action<string>? progress = null,
        int rounds = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        string folder = Export(python, scripts, bundle, cache, prefillTokens, codecSeconds, progress);
        using var check = SafetensorsFile.Open(Path.Combine(folder, "check.safetensors"));
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        double worst = 0;
        var stages = new Dictionary<string, OnnxStageTiming>(StringComparer.Ordinal);
        var loaded = new List<(string Stage, StageGraphs Graphs)>();
        try
        {
            foreach (string stage in new[] { "stage1", "stage2", "stage3" })
            {
                var graphs = new StageGraphs(folder, stage, options, check);
                loaded.Add((stage, graphs));
                progress?.Invoke($"onnxruntime {stage}: check against the reference");
                worst = Math.Max(worst, graphs.Check());
            }
            // In rounds over the stages, the best kept, as the runtime's rows are (SideBySide.Rounds).
            for (int round = 1; round <= rounds; round++)
                foreach (var (stage, graphs) in loaded)
                {
                    int steps = Math.Min(decodeSteps, graphs.Window);
                    progress?.Invoke($"onnxruntime {stage}, round {round} of {rounds}: prefill of {graphs.PrefillTokens} positions, decode of {steps} tokens at batch 1 and {batch}");
                    double prefill = graphs.PrefillTokens / Best(repeats, graphs.Prefill);
                    double decode = steps / Best(repeats, () => graphs.Decode(steps, 1));
                    double batched = (double)steps * batch / Best(repeats, () => graphs.Decode(steps, batch));
                    stages[stage] = stages.TryGetValue(stage, out var best)
                        ? new OnnxStageTiming(graphs.PrefillTokens, Math.Max(best.PrefillTokensPerSecond, prefill), steps,
                            Math.Max(best.DecodeTokensPerSecond, decode), batch, Math.Max(best.BatchDecodeTokensPerSecond, batched))
                        : new OnnxStageTiming(graphs.PrefillTokens, prefill, steps, decode, batch, batched);
                }
        }
        finally
        {
            foreach (var (_, graphs) in loaded) graphs.Dispose();
        }

        progress?.Invoke($"onnxruntime codec: {codecSeconds:0.##} s of audio");
        using var codec = new InferenceSession(Path.Combine(folder, "codec.onnx"), options);
        using var codes = Int64Value(check.Get("codec.codes"));
        using var codecOptions = new RunOptions();
        float[] CodecRun()
        {
            using var output = codec.Run(codecOptions, ["codes"], [codes], ["waveform"]);
            return output[0].GetTensorDataAsSpan<float>().ToArray();
        }
        worst = Math.Max(worst, Compare(CodecRun(), check.Get("codec.waveform").ToFloat32(), "codec waveform"));
        double codecRate = codecSeconds / Best(repeats, () => { CodecRun(); });
        return new OnnxRuntimeTimings($"onnxruntime {OrtEnv.Instance().GetVersionString()}", threads, stages, codecSeconds, codecRate, worst);
    }

    /// <summary>
    /// The export folder for this bundle, prefill length and codec length, made by export_onnx.py unless the
    /// cache already holds one from the same scripts (the stamp hashes them, so a changed reference re-exports).
    /// </summary>
    static string Export(PythonTorch python, ReferenceScripts scripts, string bundle, string cache, int prefillTokens, double codecSeconds,
        Action<string>? progress)
    {
        var inv = CultureInfo.InvariantCulture;
        string script = Path.Combine(scripts.Root, "bench", "pytorch", "export_onnx.py");
        string stamp = string.Join("\n", Path.GetFullPath(bundle), prefillTokens.ToString(inv), codecSeconds.ToString("R", inv),
            Hash(script), Hash(Path.Combine(scripts.ReferenceFolder, "model.py")), Hash(Path.Combine(bundle, "config.json")));
        string folder = Path.Combine(cache, "onnx", Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(stamp)))[..16].ToLowerInvariant());
        string stampFile = Path.Combine(folder, "stamp.txt");
        if (File.Exists(stampFile) && File.ReadAllText(stampFile) == stamp) return folder;

        progress?.Invoke($"exporting the reference to ONNX into {folder}");
        Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
        string temporary = $"{folder}.partial-{Environment.ProcessId}";
        if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        var arguments = new List<string> { script, "--bundle", bundle, "--out", temporary, "--codec-seconds", codecSeconds.ToString("R", inv) };
        if (prefillTokens > 0) arguments.AddRange(["--prefill", prefillTokens.ToString(inv)]);
        var result = ExternalProcess.Run(python.Executable, arguments, scripts.Root, TimeSpan.FromHours(1));
        if (result.ExitCode != 0)
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
            throw new BenchmarkException($"{script} failed on {bundle}: {result.LastErrorLine}");
        }
        File.WriteAllText(Path.Combine(temporary, "stamp.txt"), stamp);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.Move(temporary, folder);
        return folder;
    }

    static string Hash(string path) => File.Exists(path) ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))) : "none";

    static double Best(int repeats, Action run)
    {
        run(); // warm-up: ONNX Runtime has no JIT, one run settles its allocations
        return Timing.BestTimed(repeats, run);
    }

    /// <summary>Largest |actual − expected| over max |expected|, or a <see cref="BenchmarkException"/> past <see cref="CheckTolerance"/>.</summary>
    internal static double Compare(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, string what)
    {
        if (actual.Length != expected.Length)
            throw new BenchmarkException($"onnxruntime {what}: {actual.Length} values, the reference has {expected.Length}");
        double worst = 0, scale = 1e-30;
        for (int i = 0; i < expected.Length; i++)
        {
            double difference = Math.Abs((double)actual[i] - expected[i]);
            worst = Math.Max(worst, double.IsNaN(difference) ? double.PositiveInfinity : difference);
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        double relative = worst / scale;
        if (!(relative <= CheckTolerance))
            throw new BenchmarkException($"onnxruntime {what}: off the PyTorch reference by {relative:0.###e0} of its largest value (tolerance {CheckTolerance:0e0}); not timed");
        return relative;
    }

    internal static OrtValue Int64Value(TensorView view) =>
        OrtValue.CreateTensorValueFromMemory(view.ToInt32().Select(v => (long)v).ToArray(), view.Shape);

    internal static OrtValue FloatValue(TensorView view) => OrtValue.CreateTensorValueFromMemory(view.ToFloat32(), view.Shape);

    /// <summary>A stage's three graphs (two without an encoder) and the inputs the export recorded.</summary>
    sealed class StageGraphs : IDisposable
    {
        readonly string _stage;
        readonly SafetensorsFile _check;
        readonly InferenceSession _prefill, _step;
        readonly InferenceSession? _memory;
        readonly RunOptions _run = new();
        readonly List<OrtValue> _prefillInputs = [];
        readonly string[] _prefillNames, _stepInputs, _stepOutputs, _memoryOutputs;
        readonly int _layers, _heads, _headDim, _vocab;
        readonly OrtValue[] _cross = [];

        public int Window { get; }
        public int PrefillTokens { get; }

        public StageGraphs(string folder, string stage, SessionOptions options, SafetensorsFile check)
        {
            _stage = stage;
            _check = check;
            using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")));
            var s = summary.RootElement.GetProperty("stages").GetProperty(stage);
            Window = s.GetProperty("window").GetInt32();
            PrefillTokens = s.GetProperty("prefill").GetInt32();
            (_layers, _heads, _headDim, _vocab) = (s.GetProperty("layers").GetInt32(), s.GetProperty("heads").GetInt32(),
                s.GetProperty("head_dim").GetInt32(), s.GetProperty("vocab").GetInt32());
            string[] streams = s.GetProperty("streams").EnumerateArray().Select(e => e.GetString()!).ToArray();
            _prefill = new InferenceSession(Path.Combine(folder, $"{stage}.prefill.onnx"), options);
            _step = new InferenceSession(Path.Combine(folder, $"{stage}.step.onnx"), options);
            _prefillNames = ["tokens", .. streams];
            foreach (string name in _prefillNames)
            {
                var view = check.Get($"{stage}.prefill.{name}");
                _prefillInputs.Add(DTypes.IsInteger(view.DType) ? Int64Value(view) : FloatValue(view));
            }
            string[] caches = [.. Enumerable.Range(0, _layers).SelectMany(i => new[] { $"k_{i}", $"v_{i}" })];
            _memoryOutputs = s.GetProperty("cross").GetBoolean() ? [.. caches.Select(c => "cross_" + c)] : [];
            _stepInputs = ["tokens", "position", .. caches.Select(c => "past_" + c), .. _memoryOutputs];
            _stepOutputs = ["logits", .. caches.Select(c => "present_" + c)];
            if (_memoryOutputs.Length > 0)
            {
                _memory = new InferenceSession(Path.Combine(folder, $"{stage}.memory.onnx"), options);
                using var memory = _memory.Run(_run, streams, _prefillInputs.Skip(1).ToArray(), _memoryOutputs);
                // Kept as copies: the step graph reads them at every step, as the runtime's CrossMemory.
                _cross = [.. memory.Select(v => OrtValue.CreateTensorValueFromMemory(v.GetTensorDataAsSpan<float>().ToArray(),
                    v.GetTensorTypeAndShape().Shape))];
            }
        }

        /// <summary>The prefill's first and last logits and a few decode steps of two sequences against the reference; the worst relative error.</summary>
        public double Check()
        {
            using var logits = _prefill.Run(_run, _prefillNames, _prefillInputs, ["logits"]);
            var all = logits[0].GetTensorDataAsSpan<float>();
            var first = _check.Get($"{_stage}.prefill.logits_first").ToFloat32();
            var last = _check.Get($"{_stage}.prefill.logits_last").ToFloat32();
            double worst = Compare(all[..first.Length], first, $"{_stage} prefill logits (first rows)");
            worst = Math.Max(worst, Compare(all[^last.Length..], last, $"{_stage} prefill logits (last rows)"));

            var tokens = _check.Get($"{_stage}.step.tokens");
            int steps = (int)tokens.Shape[0], batch = (int)tokens.Shape[1];
            int[] ids = tokens.ToInt32();
            var expected = _check.Get($"{_stage}.step.logits").ToFloat32();
            var got = new float[expected.Length];
            Run(steps, batch, (step, stepIds) =>
                {
                    for (int b = 0; b < batch; b++) stepIds[b] = ids[step * batch + b];
                },
                (stepLogits, step) => stepLogits.CopyTo(got.AsSpan(step * batch * _vocab, batch * _vocab)));
            return Math.Max(worst, Compare(got, expected, $"{_stage} decode step logits"));
        }

        public void Prefill()
        {
            using var _ = _prefill.Run(_run, _prefillNames, _prefillInputs, ["logits"]);
        }

        /// <summary><paramref name="steps"/> tokens for <paramref name="batch"/> sequences, each step's argmax fed back.</summary>
        public void Decode(int steps, int batch)
        {
            int vocab = _vocab;
            long[] next = new long[batch];
            Run(steps, batch, (step, ids) =>
            {
                for (int b = 0; b < batch; b++) ids[b] = step == 0 ? 0 : next[b];
            }, (logits, _) =>
            {
                for (int b = 0; b < batch; b++)
                {
                    var row = logits.Slice(b * vocab, vocab);
                    int best = 0;
                    for (int j = 1; j < vocab; j++) if (row[j] > row[best]) best = j;
                    next[b] = best;
                }
            });
        }

        void Run(int steps, int batch, Action<int, long[]> tokensOf, SpanAction<float, int> onLogits)
        {
            long[] ids = new long[batch];
            long[] position = new long[1];
            using var tokens = OrtValue.CreateTensorValueFromMemory(ids, [batch]);
            using var positionValue = OrtValue.CreateTensorValueFromMemory(position, []);
            var past = Enumerable.Range(0, 2 * _layers)
                .Select(_ => OrtValue.CreateTensorValueFromMemory(Array.Empty<float>(), [batch, _heads, 0, _headDim])).ToList();
            IDisposableReadOnlyCollection<OrtValue>? outputs = null;
            try
            {
                for (int step = 0; step < steps; step++)
                {
                    tokensOf(step, ids);
                    position[0] = step;
                    var inputs = new List<OrtValue>(_stepInputs.Length) { tokens, positionValue };
                    inputs.AddRange(past);
                    inputs.AddRange(_cross);
                    var results = _step.Run(_run, _stepInputs, inputs, _stepOutputs);
                    onLogits(results[0].GetTensorDataAsSpan<float>(), step);
                    // The present keys and values are the next step's past, as ORT values: no copy.
                    if (outputs is null) foreach (var value in past) value.Dispose();
                    outputs?.Dispose();
                    outputs = results;
                    past = [.. results.Skip(1)];
                }
            }
            finally
            {
                if (outputs is null) foreach (var value in past) value.Dispose();
                outputs?.Dispose();
            }
        }

        public void Dispose()
        {
            foreach (var value in _prefillInputs.Concat(_cross)) value.Dispose();
            _prefill.Dispose();
            _step.Dispose();
            _memory?.Dispose();
            _run.Dispose();
        }
    }

    delegate void SpanAction<T, TArg>(ReadOnlySpan<T> span, TArg argument);
}
