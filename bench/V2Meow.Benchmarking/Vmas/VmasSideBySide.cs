using System.Globalization;
using System.Text;
using V2Meow.Loaders.Bundles.Vmas;
using V2Meow.Runtime.Backends;

namespace V2Meow.Benchmarking.Vmas;

/// <summary>Everything one side-by-side run of a vmas/1 bundle measured, with the context every figure needs.</summary>
/// <param name="Context">What every figure needs beside it (<see cref="SideBySide.Context"/>).</param>
/// <param name="Rows">The throughput table's rows.</param>
/// <param name="Footprint">Weights, decode reads and KV pools of the bundle on the runtime's backend.</param>
/// <param name="Batch">The batched decode's candidates.</param>
/// <param name="DecodeSteps">Decode steps per sequence, as run (at least K, at most one window).</param>
/// <param name="Guidance">The guided rows' scale.</param>
/// <param name="Reference">The reference's timings; null with --no-pytorch.</param>
/// <param name="FloorBytesPerSecond">The floor's numerator: the runtime backend's copy bandwidth (read + write) or, on the CPU, its read-only sweep where that is faster (<see cref="FloorBandwidthSamples"/>).</param>
public sealed record VmasSideBySideReport(
    IReadOnlyDictionary<string, string> Context,
    IReadOnlyList<SideBySideRow> Rows,
    VmasFootprint Footprint,
    int Batch,
    int DecodeSteps,
    double Guidance,
    VmasReferenceTimings? Reference,
    double FloorBytesPerSecond) : ISideBySideReport
{
    /// <summary>Context, the throughput table, the memory table, what the columns mean.</summary>
    public string Format()
    {
        var text = new StringBuilder();
        SideBySideTable.AppendContext(text, Context, FloorBytesPerSecond);
        SideBySideTable.AppendRows(text, Rows);

        text.AppendLine();
        var f = Footprint;
        string[] header =
        [
            "component", "weights (resident)", "decode reads / step (b1)", "KV pool, b1", $"KV pool, b{Batch}", $"KV pool, b{Batch} guided",
            "pytorch f32",
        ];
        string Reference(Func<VmasReferenceTimings, long> bytes) => this.Reference is { } r ? SideBySideTable.Bytes(bytes(r)) : "—";
        List<string[]> memory =
        [
            ["encoder", SideBySideTable.Bytes(f.EncoderWeightBytes), "—", "—", "—", "—", Reference(r => r.EncoderWeightBytes)],
            ["decoder", SideBySideTable.Bytes(f.DecoderWeightBytes), SideBySideTable.Bytes((long)f.DecodeBytesPerStep(DecodeSteps, 1)),
                SideBySideTable.Bytes(f.KvPoolBytes(1, f.Positions)), SideBySideTable.Bytes(f.KvPoolBytes(Batch, f.Positions)),
                SideBySideTable.Bytes(f.KvPoolBytes(2 * Batch, f.Positions)), Reference(r => r.DecoderWeightBytes)],
            ["codec", SideBySideTable.Bytes(f.CodecWeightBytes), "—", "—", "—", "—", Reference(r => r.CodecWeightBytes)],
        ];
        SideBySideTable.AppendTable(text, header, memory, leftAligned: 1);

        string g = Guidance.ToString("0.##", CultureInfo.InvariantCulture);
        text.AppendLine();
        text.AppendLine($"runtime and pytorch per second: encoder frames, decoder tokens (a position carries K = {f.Codebooks} codebook tokens;");
        text.AppendLine("a decode step makes K per candidate), codec samples; ratio = runtime / pytorch. Decode: argmax from an empty cache;");
        text.AppendLine($"guided adds each candidate's null-conditioned twin (guidance {g}: 2 rows a candidate, the same tokens counted).");
        text.AppendLine("floor = the runtime backend's memory bandwidth (the better of its copy, read + write, and on the cpu a read-only");
        text.AppendLine("sweep) / bytes one decode step reads (decoder weights once per step, the K");
        text.AppendLine("heads included, the cross-attention K/V projections not; per row its cached keys and values and cross-attention");
        text.AppendLine("memory): the most a bandwidth-bound decode can reach. Encoder, prefill and codec are compute-bound: no floor.");
        text.AppendLine("Above 100% of the floor: the decode read faster than every bandwidth sample (a shared or throttled machine: rerun),");
        text.AppendLine("or part of a step's bytes came from cache (bytes per step near or under the CPU's last-level cache).");
        return text.ToString();
    }
}

/// <summary>
/// The runtime and the VMAs PyTorch reference on the same vmas/1 bundle, lengths, threads and device: the
/// video encoder on one window, the music decoder's prefill of one window, its decode at batch 1 and the
/// batch of <see cref="SideBySideOptions.Batch"/>, unguided and guided, and the codec; the decode rows beside
/// their bandwidth floor.
/// </summary>
public static class VmasSideBySide
{
    public static VmasSideBySideReport Run(SideBySideOptions options, SideBySideSession session, Action<string>? progress = null)
    {
        var backend = session.Backend;
        using var bundle = VmasBundle.Open(session.Folder);
        var config = bundle.Config;
        progress?.Invoke($"runtime on {backend.Device.Name} ({DeviceKinds.Name(backend.Kind)}), bundle {session.Folder}");

        var bandwidthSamples = FloorBandwidthSamples.Before(backend);
        int matrixBytes = VmasFootprint.MatrixElementBytes(backend, bundle);
        var footprint = VmasFootprint.Of(bundle, matrixBytes);
        int repeats = options.Repeats;
        int[] batches = options.Batch == 1 ? [1] : [1, options.Batch];

        double encode;
        int frames;
        using (var encoder = VmasEncoderWorkload.Load(bundle, backend))
        {
            frames = encoder.Frames;
            progress?.Invoke($"runtime encoder: one window of {frames} frames");
            encode = frames / Timing.Best(backend, repeats, () => encoder.Encode());
        }

        double prefill, guidance;
        int prefillPositions, steps;
        var decode = new Dictionary<string, double>(StringComparer.Ordinal);
        using (var decoder = VmasDecoderWorkload.Load(bundle, backend))
        {
            guidance = decoder.Guidance;
            prefillPositions = options.PrefillTokens > 0 ? Math.Min(options.PrefillTokens, decoder.Positions) : decoder.Positions;
            steps = decoder.Steps(options.DecodeSteps);
            progress?.Invoke($"runtime decoder: prefill of {prefillPositions} positions");
            prefill = (double)prefillPositions * decoder.Codebooks / Timing.Best(backend, repeats, () => decoder.Prefill(prefillPositions));
            foreach (bool guided in new[] { false, true })
                foreach (int batch in batches)
                {
                    progress?.Invoke($"runtime decoder: {steps} steps at batch {batch}{(guided ? ", guided" : "")}");
                    decode[VmasReferenceTimings.DecodeKey(batch, guided)] =
                        (double)steps * decoder.Codebooks * batch / Timing.Best(backend, repeats, () => decoder.Decode(steps, batch, guided));
                    bandwidthSamples.Beside();
                }
        }

        double codecRate;
        int samples;
        double codecSeconds;
        using (var codec = CodecWorkload.Load(bundle, backend, options.CodecSeconds))
        {
            samples = codec.Samples;
            codecSeconds = codec.AudioSeconds;
            progress?.Invoke($"runtime codec: {codec.Frames} frames, {samples} samples");
            codecRate = samples / Timing.Best(backend, repeats, () => codec.Decode());
        }

        bandwidthSamples.After();
        double bandwidth = bandwidthSamples.Bandwidth;

        VmasReferenceTimings? reference = null;
        if (!options.SkipReference && session.Python is { } python)
        {
            progress?.Invoke($"pytorch reference ({python.Executable}, torch {python.TorchVersion}) on {session.ReferenceDevice}, {session.Threads} threads");
            reference = VmasReferenceTimings.Measure(python, session.Scripts, session.Folder, session.ReferenceDevice, steps, options.Batch,
                options.PrefillTokens, guidance, options.CodecSeconds, repeats, session.Threads, line => progress?.Invoke("  " + line));
        }

        var rows = new List<SideBySideRow>
        {
            new("encoder", $"encode b1 ({frames} frames)", "frames/s", encode, reference?.EncoderFramesPerSecond, null),
            new("decoder", $"prefill b1 ({prefillPositions} pos)", "tok/s", prefill, reference?.PrefillTokensPerSecond, null),
        };
        foreach (bool guided in new[] { false, true })
            foreach (int batch in batches)
            {
                string key = VmasReferenceTimings.DecodeKey(batch, guided);
                int sequences = guided ? 2 * batch : batch;
                double floor = (double)batch * footprint.Codebooks * bandwidth / footprint.DecodeBytesPerStep(steps, sequences);
                rows.Add(new SideBySideRow("decoder", $"decode b{batch}{(guided ? " guided" : "")} ({steps} steps)", "tok/s", decode[key],
                    reference is not null && reference.DecodeTokensPerSecond.TryGetValue(key, out double r) ? r : null, floor));
            }
        rows.Add(new SideBySideRow("codec", $"decode ({codecSeconds.ToString("0.##", CultureInfo.InvariantCulture)} s audio)", "samples/s",
            codecRate, reference?.CodecSamplesPerSecond, null));

        var context = SideBySide.Context(session, options, config.Name, config.DType, matrixBytes,
            reference is null ? null : $"{reference.Engine} on {reference.Device}, {reference.Threads} threads, weights f32");
        context["copy"] = bandwidthSamples.CopyLine(reference?.CopyBytesPerSecond);
        if (bandwidthSamples.ReadLine is { } read) context["read"] = read;
        return new VmasSideBySideReport(context, rows, footprint, options.Batch, steps, guidance, reference, bandwidth);
    }
}
