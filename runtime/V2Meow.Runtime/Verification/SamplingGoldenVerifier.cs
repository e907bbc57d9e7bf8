using System.Globalization;
using V2Meow.Loaders.Safetensors;
using V2Meow.Numerics;

namespace V2Meow.Runtime.Verification;

/// <summary>
/// The sampler against its goldens (SPEC §8, §10): sampling.logits [N, V] and, per case the file's
/// "sampling" metadata lists (temperature, seed), the ids sampling.tokens.t{T}.s{seed} drawn with
/// u = uniform(seed, stream, counter = row). Ids must match exactly.
/// </summary>
public sealed class SamplingGoldenVerifier : IGoldenComponentVerifier
{
    /// <summary>"sampling".</summary>
    public string Component => "sampling";

    /// <inheritdoc/>
    public IReadOnlyList<TensorComparison> Verify(GoldenContext context)
    {
        var golden = context.Golden;
        var backend = context.Backend;
        var logitsView = golden.Get("sampling.logits");
        if (logitsView.Shape.Length != 2 || logitsView.DType != DType.F32)
            throw new SafetensorsFormatException(golden.Path, "sampling.logits", $"expected F32 [rows, vocab], found {DTypes.Name(logitsView.DType)} {logitsView.Entry.ShapeText}");
        int rows = checked((int)logitsView.Shape[0]), vocab = checked((int)logitsView.Shape[1]);
        var cases = ReadCases(golden, out var template);

        using var logits = backend.Upload(logitsView.ToFloat32(), rows, vocab);
        using var output = backend.AllocateInts(rows);
        var results = new List<TensorComparison>();
        var listed = new HashSet<string>(StringComparer.Ordinal) { "sampling.logits" };
        foreach (var (name, temperature, seed) in cases)
        {
            var expected = golden.Get(name, [rows], DType.I32).ToInt32();
            backend.Sample(logits, temperature, template with { Seed = seed }, output);
            var actual = new int[rows];
            backend.DownloadInts(output, actual);
            results.Add(TensorComparison.Integers(name, $"[{rows}]", actual, expected));
            listed.Add(name);
        }
        foreach (var entry in golden.Tensors.Where(t => t.Name.StartsWith("sampling.", StringComparison.Ordinal) && !listed.Contains(t.Name)))
            throw new SafetensorsFormatException(golden.Path, entry.Name, "not one of the cases in the \"sampling\" metadata");
        return results;
    }

    /// <summary>
    /// The "sampling" metadata: {"stream": s, "counter": "row index", "range": [lo, hi], "top_k": k,
    /// "cases": [{"name", "temperature", "seed" (a decimal string: seeds span 64 bits)}]}.
    /// </summary>
    static List<(string Name, double Temperature, ulong Seed)> ReadCases(SafetensorsFile golden, out SamplingRequest template)
    {
        (template, var cases) = GoldenMetadata.Read(golden, "sampling", "the sampling cases", root =>
        {
            if (root.GetProperty("counter").GetString() != "row index")
                throw new SafetensorsFormatException(golden.Path, null, "sampling metadata: only counter \"row index\" is known");
            var range = root.GetProperty("range");
            var request = new SamplingRequest
            {
                Lo = range[0].GetInt32(), Hi = range[1].GetInt32(), TopK = root.GetProperty("top_k").GetInt32(),
                Candidates = 1, StreamBase = root.GetProperty("stream").GetUInt64(), StreamStep = 0, CounterBase = 0, CounterStep = 1,
            };
            return (request, root.GetProperty("cases").EnumerateArray().Select(c => (
                c.GetProperty("name").GetString()!,
                c.GetProperty("temperature").GetDouble(),
                ulong.Parse(c.GetProperty("seed").GetString()!, CultureInfo.InvariantCulture))).ToList());
        });
        return cases;
    }
}
