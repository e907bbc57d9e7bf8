namespace V2Meow.Runtime.Stages;

/// <summary>
/// Which RNG stream a generated token draws from (SPEC §8's uniform(seed, stream, counter), counter = the
/// token's index in its generation): stream = stage · 2^40 + window · 2^20 + candidate. Every token of a
/// run has its own (stream, counter), independent of how candidates and windows are batched, so one seed
/// gives the same tokens however the work is split.
/// </summary>
public static class SamplingStreams
{
    public static ulong For(int stage, int window, int candidate) =>
        ((ulong)stage << 40) + ((ulong)window << 20) + (ulong)candidate;
}
