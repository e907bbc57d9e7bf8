using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Verification;
using V2Meow.Tests.Backends;
using Xunit.Abstractions;

namespace V2Meow.Tests.Runtime;

/// <summary>
/// The acceptance rule of <c>v2meow verify</c> (SPEC §10, <see cref="GoldenTolerance"/>): each computed float
/// tensor's error against the golden's float64 evaluation, relative to PyTorch-f32's own. These tests show the
/// rule fails a runtime result moved past its limit, on both backends, and admits one moved within it.
/// </summary>
public class Float64RuleTests(BackendFixture backends, ITestOutputHelper output) : IClassFixture<BackendFixture>
{
    [Theory]
    [InlineData(0.0, GoldenTolerance.Floor)]        // exact in PyTorch (an embedding gather): the floor
    [InlineData(2e-7, 16.0 / (1 << 24))]            // 4 × 2e-7 = 8e-7 is under the floor
    [InlineData(1e-6, 4e-6)]                        // the factor
    [InlineData(5e-5, 1e-4)]                        // 4 × 5e-5 = 2e-4, capped: PyTorch is within 1e-4, so must we be
    [InlineData(1e-4, 4e-4)]                        // PyTorch itself at 1e-4: the factor again
    [InlineData(1.6e-3, 6.4e-3)]                    // the default config's waveform
    [InlineData(double.NaN, 0.0)]                   // a golden holding NaN lets nothing pass
    [InlineData(double.PositiveInfinity, 0.0)]
    public void TheLimitFollowsPyTorchsOwnError(double referenceError, double limit) =>
        Assert.Equal(limit, GoldenTolerance.Limit(referenceError), 1e-15);

    [Fact]
    public void ErrorIsTheWorstElementOnTheTensorsScale()
    {
        double[] truth = [2.0, -4.0, 0.5, 1.0];
        // The worst element is off by 2^-7 on a scale of 4, wherever it sits (all values exact in float32).
        Assert.Equal(0.0078125 / 4, Float64Check.Error([2f, -4f, 0.5078125f, 1f], truth));
        Assert.Equal(0.0078125 / 4, Float64Check.Error([2f, -4.0078125f, 0.5f, 1.001f], truth));
        Assert.Equal(double.PositiveInfinity, Float64Check.Error([2f, float.NaN, 0.5f, 1f], truth));
        // An all-zero truth compares on the floor 1e-6, not by dividing by zero.
        Assert.Equal(0.5, Float64Check.Error([5e-7f, 0f], [0.0, 0.0]), 1e-8); // 5e-7f is 5e-7 to 7 digits
        Assert.False(Float64Check.Judge([2f, float.NaN, 0.5f, 1f], [2f, -4f, 0.5f, 1f], truth).Passes);
    }

    public static TheoryData<string, string> TensorsAndBackends()
    {
        var data = new TheoryData<string, string>();
        // Well-conditioned tensors (limits near 1e-6) and the codec's least-conditioned one, of the odd set.
        foreach (var tensor in new[] { "stage2.logits", "stage1.encoder.layers.0", "codec.waveform" })
            foreach (var backend in new[] { "cpu", "ilgpu-cpu" })
                data.Add(tensor, backend);
        return data;
    }

    /// <summary>
    /// The real runtime's result for <paramref name="tensor"/> with one element moved: by twice the limit
    /// (scaled to the tensor) it must fail, naming the tensor; by half of what is left under the limit it
    /// must still pass. The rest of the tensor's component is verified as <c>v2meow verify</c> does.
    /// </summary>
    [Theory]
    [MemberData(nameof(TensorsAndBackends))]
    public void AResultMovedPastItsLimitFailsAndOneWithinItPasses(string tensor, string backendName)
    {
        using var bundle = Bundle.Open(GoldenSets.Bundle("odd"));
        using var golden = SafetensorsFile.Open(GoldenSets.Golden("odd"));
        var backend = backends.Get(backendName);
        var honest = Verifier(tensor, null).Verify(bundle, golden, backend);
        var check = honest.Comparisons.Single(c => c.Name == tensor).Float64!;
        Assert.True(honest.Passes, string.Join("\n", honest.Comparisons.Where(c => !c.Passes)));
        double scale = golden.Get(GoldenVerifier.Float64Prefix + tensor).As<double>().ToArray().Max(Math.Abs);
        output.WriteLine($"{backendName} {tensor}: runtime {check.RuntimeError:E2}, torch f32 {check.ReferenceError:E2}, limit {check.Limit:E2}, scale {scale:G4}");

        var past = Verifier(tensor, 2 * check.Limit * scale).Verify(bundle, golden, backend);
        var moved = past.Comparisons.Single(c => c.Name == tensor);
        output.WriteLine(moved.ToString());
        Assert.False(past.Passes);
        Assert.False(moved.Passes);
        Assert.Equal(tensor, past.Worst!.Name);
        Assert.Equal(1, past.Comparisons.Count(c => !c.Passes));
        Assert.StartsWith($"FAIL {tensor} ", moved.ToString());

        var within = Verifier(tensor, (check.Limit - check.RuntimeError) / 2 * scale).Verify(bundle, golden, backend);
        Assert.True(within.Passes, within.Comparisons.Single(c => c.Name == tensor).ToString());
    }

    [Theory]
    [InlineData("float64.codec.waveform", null, "missing")]
    [InlineData(null, "float64.codec.blocks.7", "no computed float tensor")]
    public void Float64TensorsMustPairWithTheComputedOnes(string? drop, string? extra, string problem)
    {
        using var folder = new TempDirectory();
        string path = folder.File("golden.safetensors");
        using (var source = SafetensorsFile.Open(GoldenSets.Golden("odd")))
        {
            var writer = new SafetensorsWriter();
            foreach (var entry in source.Tensors.Where(t => t.Name.Contains("codec.", StringComparison.Ordinal) && t.Name != drop))
                writer.Add(entry.Name, entry.DType, entry.Shape, source.Get(entry.Name).Bytes);
            if (extra is not null) writer.Add(extra, DType.F64, [1], BitConverter.GetBytes(0.0));
            writer.Save(path);
        }
        using var bundle = Bundle.Open(GoldenSets.Bundle("odd"));
        using var golden = SafetensorsFile.Open(path);
        var verifier = new GoldenVerifier();
        verifier.Register(new CodecGoldenVerifier());
        var e = Assert.Throws<SafetensorsFormatException>(() => verifier.Verify(bundle, golden, backends.Get("cpu")));
        Assert.Contains($"'{drop ?? extra}'", e.Message);
        Assert.Contains(problem, e.Message);
    }

    /// <summary>The verifier of <paramref name="tensor"/>'s component, with the runtime's result moved by <paramref name="shift"/> at its middle element.</summary>
    static GoldenVerifier Verifier(string tensor, double? shift)
    {
        string component = tensor.Split('.')[0];
        IGoldenComponentVerifier inner = StageIds.TryParse(component, out var stage) ? new StageGoldenVerifier(stage) : new CodecGoldenVerifier();
        var verifier = new GoldenVerifier();
        verifier.Register(shift is { } s ? new MovingOneElement(inner, tensor, s) : inner);
        return verifier;
    }

    /// <summary>A component verifier whose runtime result for one tensor comes back with one element moved.</summary>
    sealed class MovingOneElement(IGoldenComponentVerifier inner, string tensor, double shift) : IGoldenComponentVerifier
    {
        public string Component => inner.Component;

        public IReadOnlyList<TensorComparison> Verify(GoldenContext context) => inner.Verify(context).Select(c =>
        {
            if (c.Name != tensor) return c;
            var values = c.Computed!.ToArray();
            values[values.Length / 2] += (float)shift;
            return TensorComparison.Floats(c.Name, c.Shape, values, context.Golden.Get(c.Name).ToFloat32(), c.Tolerance);
        }).ToList();
    }
}
