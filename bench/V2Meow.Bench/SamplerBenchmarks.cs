using BenchmarkDotNet.Attributes;
using V2Meow.Runtime.Backends.Cpu;

namespace V2Meow.Bench;

/// <summary>
/// Top-k sampling of one VMAs logit row on the host (2048 codes, k = 250, VMAs' default): the linear-time
/// selection the CPU backend uses, beside the stable sort it replaced (the baseline). A decode step samples
/// one row per codebook and candidate. The throughput column is rows (sampled tokens) per second.
/// </summary>
public class SamplerBenchmarks : IDescribedWork
{
    const int Codes = 2048, TopK = 250;
    float[] _logits = null!;

    [GlobalSetup]
    public void Setup() => _logits = RandomValues.Uniform(Codes, 21).Select(v => v * 8).ToArray();

    /// <summary>The sampler as it was: a stable sort for the top k, fresh arrays per row.</summary>
    [Benchmark(Baseline = true)]
    public int SortedTopK()
    {
        int[] order = Enumerable.Range(0, Codes).ToArray();
        float[] values = _logits;
        Array.Sort(order, (a, b) => values[a] != values[b] ? values[b].CompareTo(values[a]) : a.CompareTo(b));
        var keep = new bool[Codes];
        for (int i = 0; i < TopK; i++) keep[order[i]] = true;
        double max = double.NegativeInfinity;
        for (int i = 0; i < Codes; i++)
            if (keep[i]) max = Math.Max(max, values[i]);
        var weights = new double[Codes];
        double total = 0;
        for (int i = 0; i < Codes; i++)
        {
            weights[i] = keep[i] ? Math.Exp(values[i] - max) : 0.0;
            total += weights[i];
        }
        double threshold = 0.5 * total, running = 0;
        for (int i = 0; i < Codes; i++)
        {
            running += weights[i];
            if (running > threshold) return i;
        }
        return Codes - 1;
    }

    [Benchmark]
    public int SelectedTopK() => HostSampler.Sample(_logits, 0, Codes, 1.0, TopK, 0.5);

    public Work Describe(string method) => new(1, Work.Unit.Tokens);
}
