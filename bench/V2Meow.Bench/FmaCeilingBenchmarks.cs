using BenchmarkDotNet.Attributes;
using System.Runtime.Intrinsics;

namespace V2Meow.Bench;

/// <summary>
/// The CPU's multiply-add ceiling: on as many threads as the CPU backend runs (<see cref="BenchDevices.CpuThreads"/>),
/// eight independent chains of 256-bit multiply-adds (two ports × four cycles of latency) and nothing else.
/// A batch-8 decode step does eight multiply-adds per weight, so this ceiling over 16 FLOP per 2-byte f16
/// weight is the most weight bytes per second a batch-8 step can consume on the CPU backend, whatever the
/// memory delivers; compare <see cref="GemmBenchmarks"/>' 8-row case.
/// </summary>
public class FmaCeilingBenchmarks : IDescribedWork
{
    /// <summary>
    /// Per thread: 2^23 steps of the eight chains, 2^29 multiply-adds, about 11 ms on one core of RESULTS.md's
    /// machine: long enough that no thread finishes before the others have started (Parallel.For would then run
    /// two threads' work on one).
    /// </summary>
    const int Steps = 1 << 23;

    static int Threads => BenchDevices.CpuThreads;

    [Benchmark]
    public float FmaChains()
    {
        var sums = new float[Threads];
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t => sums[t] = Chains(Steps));
        return sums.Sum();
    }

    /// <summary>a ← a · m + c on eight vectors; the sum is returned so the JIT cannot drop the loop.</summary>
    static float Chains(int steps)
    {
        var m = Vector256.Create(0.9999999f);
        var c = Vector256.Create(1e-7f);
        Vector256<float> a0 = Vector256<float>.One, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int i = 0; i < steps; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c);
            a1 = Vector256.FusedMultiplyAdd(a1, m, c);
            a2 = Vector256.FusedMultiplyAdd(a2, m, c);
            a3 = Vector256.FusedMultiplyAdd(a3, m, c);
            a4 = Vector256.FusedMultiplyAdd(a4, m, c);
            a5 = Vector256.FusedMultiplyAdd(a5, m, c);
            a6 = Vector256.FusedMultiplyAdd(a6, m, c);
            a7 = Vector256.FusedMultiplyAdd(a7, m, c);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
    }

    public Work Describe(string method) => new(2.0 * 8 * Vector256<float>.Count * Steps * Threads, Work.Unit.Flops);
}
