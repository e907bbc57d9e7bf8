using System.Globalization;
using System.Text.Json;

namespace V2Meow.Benchmarking.Vmas;

/// <summary>
/// The VMAs reference's timings on one bundle, as bench/pytorch/reference_bench_vmas.py measures them (PyTorch
/// eager, f32): what the PyTorch column of a vmas/1 side-by-side shows. Decode rates are keyed
/// <c>decode_b{batch}</c> and <c>decode_b{batch}_guided</c>, in tokens (K a step and sequence) per second.
/// </summary>
public sealed record VmasReferenceTimings(
    string Engine,
    string Device,
    int Threads,
    double CopyBytesPerSecond,
    double EncoderFramesPerSecond,
    double PrefillTokensPerSecond,
    IReadOnlyDictionary<string, double> DecodeTokensPerSecond,
    double CodecSamplesPerSecond,
    long EncoderWeightBytes,
    long DecoderWeightBytes,
    long CodecWeightBytes)
{
    /// <summary>The key of a decode rate: <c>decode_b8</c>, <c>decode_b1_guided</c>.</summary>
    public static string DecodeKey(int batch, bool guided) => $"decode_b{batch.ToString(CultureInfo.InvariantCulture)}" + (guided ? "_guided" : "");

    /// <summary>
    /// Runs the timing script on <paramref name="bundle"/> with the runtime side's lengths, batch, guidance,
    /// repeats, threads and device, and reads its JSON.
    /// </summary>
    public static VmasReferenceTimings Measure(PythonTorch python, ReferenceScripts scripts, string bundle, string device,
        int decodeSteps, int batch, int prefillPositions, double guidance, double codecSeconds, int repeats, int threads,
        Action<string>? progress = null)
    {
        var inv = CultureInfo.InvariantCulture;
        var arguments = new List<string>
        {
            scripts.VmasTimingScript, "--bundle", bundle, "--device", device,
            "--decode", decodeSteps.ToString(inv), "--batch", batch.ToString(inv), "--guidance", guidance.ToString("R", inv),
            "--codec-seconds", codecSeconds.ToString("R", inv), "--repeats", repeats.ToString(inv), "--threads", threads.ToString(inv),
        };
        if (prefillPositions > 0) arguments.AddRange(["--prefill", prefillPositions.ToString(inv)]);
        var result = ExternalProcess.Run(python.Executable, arguments, scripts.Root, TimeSpan.FromHours(3), progress);
        if (result.ExitCode != 0)
            throw new BenchmarkException($"{scripts.VmasTimingScript} failed on {bundle}: {result.LastErrorLine}");
        try
        {
            return Parse(result.Output);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new BenchmarkException($"{scripts.VmasTimingScript}: unreadable output ({e.Message})", e);
        }
    }

    public static VmasReferenceTimings Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var encoder = root.GetProperty("encoder");
        var decoder = root.GetProperty("decoder");
        var codec = root.GetProperty("codec");
        var decode = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var property in decoder.EnumerateObject())
            if (property.Name.StartsWith("decode_b", StringComparison.Ordinal) && property.Value.ValueKind == JsonValueKind.Object)
                decode[property.Name] = property.Value.GetProperty("tokens_per_s").GetDouble();
        return new VmasReferenceTimings(
            root.GetProperty("engine").GetString() ?? "pytorch",
            root.GetProperty("device").GetString() ?? "?",
            root.GetProperty("threads").GetInt32(),
            root.GetProperty("copy_bytes_per_s").GetDouble(),
            encoder.GetProperty("frames_per_s").GetDouble(),
            decoder.GetProperty("prefill_tokens_per_s").GetDouble(),
            decode,
            codec.GetProperty("samples_per_s").GetDouble(),
            encoder.GetProperty("weight_bytes_f32").GetInt64(),
            decoder.GetProperty("weight_bytes_f32").GetInt64(),
            codec.GetProperty("weight_bytes_f32").GetInt64());
    }
}
