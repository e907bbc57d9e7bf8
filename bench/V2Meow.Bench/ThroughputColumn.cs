using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using System.Globalization;
using System.Reflection;

namespace V2Meow.Bench;

/// <summary>Work per second from the mean time of one operation and <see cref="IDescribedWork.Describe"/>.</summary>
public sealed class ThroughputColumn : IColumn
{
    public string Id => nameof(ThroughputColumn);
    public string ColumnName => "Throughput";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => false;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "work per second from the mean: tokens/s (stages, VMAs decoder), audio s/s (codec), samples/s (VMAs codec), frames/s (VMAs encoder), GB/s (bandwidth-bound kernels), GFLOP/s (compute-bound)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        var work = Described.Of(benchmarkCase);
        if (mean is not > 0 || work is null) return "-";
        double perSecond = work.Amount / (mean.Value * 1e-9);
        var c = CultureInfo.InvariantCulture;
        return work.Units switch
        {
            Work.Unit.Tokens => perSecond.ToString("0.0", c) + " tok/s",
            Work.Unit.AudioSeconds => perSecond.ToString("0.00", c) + " audio s/s",
            Work.Unit.Samples => perSecond.ToString("0", c) + " samples/s",
            Work.Unit.Frames => perSecond.ToString("0.0", c) + " frames/s",
            Work.Unit.Bytes => (perSecond / 1e9).ToString("0.0", c) + " GB/s",
            _ => (perSecond / 1e9).ToString("0.0", c) + " GFLOP/s",
        };
    }

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public override string ToString() => ColumnName;
}

/// <summary>Weights held, or KV pool needed, by a stage benchmark (blank for kernels).</summary>
public sealed class FootprintColumn(FootprintColumn.Kind kind) : IColumn
{
    public enum Kind { Weights, KvPool }

    public string Id => nameof(FootprintColumn) + kind;
    public string ColumnName => kind == Kind.Weights ? "Weights" : "KV pool";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 1 + (int)kind;
    public bool IsNumeric => false;
    public UnitType UnitType => UnitType.Size;
    public string Legend => kind == Kind.Weights
        ? "weights resident on the backend (CPU: f32; ILGPU: f16/bf16 kept 16-bit)"
        : "KV cache the operation needs: f32 keys and values of every layer, whole blocks of 16 positions";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var work = Described.Of(benchmarkCase);
        long? bytes = kind == Kind.Weights ? work?.WeightBytes : work?.KvPoolBytes;
        return bytes is { } b ? V2Meow.Benchmarking.SideBySideTable.Bytes(b) : "-";
    }

    /// <summary>Shown only when some case holds weights (the stage and codec benchmarks), not for kernels alone.</summary>
    public bool IsAvailable(Summary summary) => summary.Reports.Any(r => GetValue(summary, r.BenchmarkCase) != "-");
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public override string ToString() => ColumnName;
}

/// <summary>Builds the benchmark's instance with the case's parameters and asks it what one call does (cached per case).</summary>
static class Described
{
    static readonly Dictionary<string, Work?> Cache = [];

    public static Work? Of(BenchmarkCase benchmarkCase)
    {
        string key = benchmarkCase.DisplayInfo;
        lock (Cache)
        {
            if (Cache.TryGetValue(key, out var cached)) return cached;
            Work? work = null;
            var type = benchmarkCase.Descriptor.Type;
            if (typeof(IDescribedWork).IsAssignableFrom(type))
            {
                try
                {
                    var instance = (IDescribedWork)Activator.CreateInstance(type)!;
                    foreach (var parameter in benchmarkCase.Parameters.Items)
                        type.GetProperty(parameter.Name, BindingFlags.Public | BindingFlags.Instance)?.SetValue(instance, parameter.Value);
                    work = instance.Describe(benchmarkCase.Descriptor.WorkloadMethod.Name);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Console.Error.WriteLine($"// {key}: cannot describe its work: {e.GetBaseException().Message}");
                }
            }
            Cache[key] = work;
            return work;
        }
    }
}
