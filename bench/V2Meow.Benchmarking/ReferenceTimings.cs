using System.Globalization;
using System.Text.Json;

namespace V2Meow.Benchmarking;

/// <summary>One stage as bench/pytorch/reference_bench.py measured it on the reference (batch 1, PyTorch eager, f32).</summary>
public sealed record ReferenceStageTiming(int PrefillTokens, double PrefillTokensPerSecond, int DecodeTokens, double DecodeTokensPerSecond, long DecoderWeightBytes);

/// <summary>The reference's timings on one bundle: what the PyTorch column of the side-by-side table shows.</summary>
public sealed record ReferenceTimings(
    string Engine,
    string Device,
    int Threads,
    double CopyBytesPerSecond,
    IReadOnlyDictionary<string, ReferenceStageTiming> Stages,
    double CodecAudioSeconds,
    double CodecAudioSecondsPerSecond)
{
    /// <summary>
    /// Runs the timing script on <paramref name="bundle"/> with the same token counts, repeats, threads and
    /// device as the runtime side, and reads its JSON.
    /// </summary>
    public static ReferenceTimings Measure(PythonTorch python, ReferenceScripts scripts, string bundle, string device,
        int decodeSteps, int prefillTokens, double codecSeconds, int repeats, int threads, Action<string>? progress = null)
    {
        var inv = CultureInfo.InvariantCulture;
        var arguments = new List<string>
        {
            scripts.TimingScript, "--bundle", bundle, "--device", device,
            "--decode", decodeSteps.ToString(inv), "--codec-seconds", codecSeconds.ToString("R", inv),
            "--repeats", repeats.ToString(inv), "--threads", threads.ToString(inv),
        };
        if (prefillTokens > 0) arguments.AddRange(["--prefill", prefillTokens.ToString(inv)]);
        var result = ExternalProcess.Run(python.Executable, arguments, scripts.Root, TimeSpan.FromHours(3), progress);
        if (result.ExitCode != 0)
            throw new BenchmarkException($"{scripts.TimingScript} failed on {bundle}: {result.LastErrorLine}");
        try
        {
            return Parse(result.Output);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new BenchmarkException($"{scripts.TimingScript}: unreadable output ({e.Message})", e);
        }
    }

    public static ReferenceTimings Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var stages = new Dictionary<string, ReferenceStageTiming>(StringComparer.Ordinal);
        foreach (var stage in root.GetProperty("stages").EnumerateObject())
        {
            var s = stage.Value;
            stages[stage.Name] = new ReferenceStageTiming(
                s.GetProperty("prefill_tokens").GetInt32(), s.GetProperty("prefill_tokens_per_s").GetDouble(),
                s.GetProperty("decode_tokens").GetInt32(), s.GetProperty("decode_tokens_per_s").GetDouble(),
                s.GetProperty("decoder_weight_bytes_f32").GetInt64());
        }
        var codec = root.GetProperty("codec");
        return new ReferenceTimings(
            root.GetProperty("engine").GetString() ?? "pytorch",
            root.GetProperty("device").GetString() ?? "?",
            root.GetProperty("threads").GetInt32(),
            root.GetProperty("copy_bytes_per_s").GetDouble(),
            stages,
            codec.GetProperty("audio_seconds").GetDouble(),
            codec.GetProperty("audio_seconds_per_s").GetDouble());
    }
}
