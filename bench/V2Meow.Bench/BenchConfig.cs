using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace V2Meow.Bench;

/// <summary>
/// The default configuration: one short job (1 launch, 3 warm-ups, 3 iterations) so a filtered run finishes
/// in minutes on a small machine, and the columns every figure needs beside its time: the work per second
/// (tokens/s, seconds of audio per second, GB/s, GFLOP/s) and, for the stages, the weights and KV pool held.
/// A <c>--job</c> on the command line replaces the short job.
/// </summary>
public static class BenchConfig
{
    public static IConfig Create() => DefaultConfig.Instance
        .AddJob(Job.ShortRun.AsDefault())
        .AddColumn(new ThroughputColumn(), new FootprintColumn(FootprintColumn.Kind.Weights), new FootprintColumn(FootprintColumn.Kind.KvPool))
        .HideColumns(StatisticColumn.Error);
}
