using System.Globalization;
using System.Text;

namespace V2Meow.Benchmarking;

/// <summary>The side-by-side report as plain text: context, the throughput table, the memory table, what the floor means.</summary>
public static class SideBySideTable
{
    public static string Format(SideBySideReport report)
    {
        var text = new StringBuilder();
        AppendContext(text, report.Context, report.FloorBytesPerSecond);
        AppendRows(text, report.Rows);

        text.AppendLine();
        string[] memoryHeader = ["stage", "weights (resident)", "decode reads / step (b1)", "KV pool, 1 window", $"KV pool, {report.Batch} windows", "pytorch decoder f32"];
        var memory = report.Footprints.Select(f => new[]
        {
            f.Stage,
            Bytes(f.WeightBytes),
            Bytes((long)f.DecodeBytesPerStep(Math.Min(report.DecodeSteps, f.WindowTokens), 1)),
            Bytes(f.KvPoolBytes(1, f.WindowTokens)),
            Bytes(f.KvPoolBytes(report.Batch, f.WindowTokens)),
            report.Reference?.Stages.GetValueOrDefault(f.Stage) is { } r ? Bytes(r.DecoderWeightBytes) : "—",
        }).ToList();
        memory.Add(["codec", Bytes(report.CodecWeightBytes), "—", "—", "—", "—"]);
        AppendTable(text, memoryHeader, memory, leftAligned: 1);

        text.AppendLine();
        text.AppendLine("runtime and pytorch in tokens per second (codec: seconds of audio per second); ratio = runtime / pytorch.");
        if (report.Rows.Any(r => r.OnnxRuntime is not null))
            text.AppendLine("onnxrt = ONNX Runtime on the reference exported to ONNX (f32 weights), same work and threads; rt/ort = runtime / onnxrt.");
        text.AppendLine("floor = the runtime backend's memory bandwidth (the better of its copy, read + write, and on the cpu a read-only");
        text.AppendLine("sweep) / bytes one decode step reads (decoder weights once per step, the head included; per sequence its cached");
        text.AppendLine("keys and values and cross-attention memory): the most a bandwidth-bound decode");
        text.AppendLine($"can reach. pytorch decodes one sequence only, so the b{report.Batch} rows have no pytorch figure; prefill is compute-bound: no floor.");
        text.AppendLine("Above 100% of the floor: the decode read faster than every bandwidth sample (a shared or throttled machine: rerun),");
        text.AppendLine("or part of a step's bytes came from cache (bytes per step near or under the CPU's last-level cache).");
        return text.ToString();
    }

    /// <summary>One <c>key: value</c> line per context entry (a bandwidth line from <paramref name="floorBytesPerSecond"/> if it has no copy line), then a blank line.</summary>
    public static void AppendContext(StringBuilder text, IReadOnlyDictionary<string, string> context, double floorBytesPerSecond)
    {
        foreach (var (key, value) in context) text.AppendLine($"{key + ":",-9} {value}");
        if (!context.ContainsKey("copy"))
            text.AppendLine($"{"memory:",-9} runtime backend {Rate(floorBytesPerSecond)} (the floor's bandwidth)");
        text.AppendLine();
    }

    /// <summary>
    /// The throughput table: stage, phase (with its unit where it is not tok/s), runtime, pytorch, ratio, then
    /// onnxrt and runtime / onnxrt when any row has an ONNX Runtime figure, floor, % of floor.
    /// </summary>
    public static void AppendRows(StringBuilder text, IReadOnlyList<SideBySideRow> rows)
    {
        bool onnx = rows.Any(r => r.OnnxRuntime is not null);
        string[] header = onnx
            ? ["stage", "phase", "runtime", "pytorch", "ratio", "onnxrt", "rt/ort", "floor", "% of floor"]
            : ["stage", "phase", "runtime", "pytorch", "ratio", "floor", "% of floor"];
        var cells = rows.Select(r =>
        {
            var cells = new List<string>
            {
                r.Stage,
                r.Phase + (r.Unit == "tok/s" ? "" : $" [{r.Unit}]"),
                Number(r.Runtime),
                r.Reference is { } p ? Number(p) : "—",
                r.Ratio is { } q ? q.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "—",
            };
            if (onnx)
            {
                cells.Add(r.OnnxRuntime is { } x ? Number(x) : "—");
                cells.Add(r.OnnxRatio is { } y ? y.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "—");
            }
            cells.Add(r.Floor is { } f ? Number(f) : "—");
            cells.Add(r.OfFloor is { } o ? (100 * o).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "—");
            return cells.ToArray();
        }).ToList();
        AppendTable(text, header, cells, leftAligned: 2);
    }

    /// <summary>A plain-text table: the first <paramref name="leftAligned"/> columns left-aligned, the rest right-aligned.</summary>
    public static void AppendTable(StringBuilder text, string[] header, List<string[]> rows, int leftAligned)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((c, i) => i < leftAligned ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd();
        text.AppendLine(Line(header));
        text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows) text.AppendLine(Line(row));
    }

    /// <summary>Three significant figures or so, never scientific.</summary>
    public static string Number(double value) => value switch
    {
        >= 100 => value.ToString("0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => value.ToString("0.00", CultureInfo.InvariantCulture),
    };

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.00", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };

    static string Rate(double bytesPerSecond) => (bytesPerSecond / 1e9).ToString("0.0", CultureInfo.InvariantCulture) + " GB/s";
}
