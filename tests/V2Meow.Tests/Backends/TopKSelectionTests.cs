using V2Meow.Runtime.Backends.Cpu;

namespace V2Meow.Tests.Backends;

/// <summary>
/// The linear-time top-k against the definition it replaces: a stable sort on descending logit with
/// float.CompareTo's order (NaN lowest), the first k kept.
/// </summary>
public class TopKSelectionTests
{
    static bool[] BySorting(float[] values, int k)
    {
        int[] order = Enumerable.Range(0, values.Length).ToArray();
        Array.Sort(order, (a, b) => values[a] != values[b] && !(float.IsNaN(values[a]) && float.IsNaN(values[b]))
            ? values[b].CompareTo(values[a]) : a.CompareTo(b));
        var keep = new bool[values.Length];
        for (int i = 0; i < k; i++) keep[order[i]] = true;
        return keep;
    }

    public static TheoryData<string> Rows() => new() { "distinct", "few levels", "specials", "one value", "sorted", "reversed" };

    static float[] Row(string kind, Random random, int n) => kind switch
    {
        "distinct" => Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() * 20 - 10).ToArray(),
        // Many ties at every level, as with masked or quantised logits.
        "few levels" => Enumerable.Range(0, n).Select(_ => (float)random.Next(4)).ToArray(),
        "specials" => Enumerable.Range(0, n).Select(_ => Special(random)).ToArray(),
        "one value" => Enumerable.Repeat(1.5f, n).ToArray(),
        "sorted" => Enumerable.Range(0, n).Select(i => (float)i).ToArray(),
        _ => Enumerable.Range(0, n).Select(i => (float)-i).ToArray(),
    };

    static float Special(Random random) => random.Next(6) switch
    {
        0 => float.NaN,
        1 => float.NegativeInfinity,
        2 => float.PositiveInfinity,
        3 => -0f,
        4 => 0f,
        _ => random.Next(3),
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void KeepsWhatAStableSortKeeps(string kind)
    {
        var random = new Random(kind.Length);
        foreach (int n in new[] { 1, 2, 3, 7, 16, 33, 250 })
        {
            float[] values = Row(kind, random, n);
            var keep = new bool[n];
            for (int k = 1; k <= n; k++)
            {
                TopKSelection.MarkLargest(values, k, keep);
                Assert.True(BySorting(values, k).SequenceEqual(keep), $"{kind}, n {n}, k {k}");
            }
        }
    }
}
