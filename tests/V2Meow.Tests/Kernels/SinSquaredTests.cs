using V2Meow.Kernels;

namespace V2Meow.Tests.Kernels;

/// <summary>
/// The Snake kernel's own sin² (it cannot use MathF.Sin, which ILGPU lowers to PTX sin.approx) against
/// float64 over the arguments a codec produces, including the octant boundaries and large |θ|.
/// </summary>
public class SinSquaredTests
{
    [Fact]
    public void MatchesFloat64AcrossTheRange()
    {
        var random = new Random(11);
        var thetas = new List<float> { 0f, -0f, 1e-30f, MathF.PI / 4, MathF.PI / 2, MathF.PI, -3 * MathF.PI / 4, 1e4f, -9999.5f };
        for (int i = 0; i < 200_000; i++)
            thetas.Add((float)((random.NextDouble() * 2 - 1) * Math.Pow(10, random.NextDouble() * 8 - 4))); // 1e-4 … 1e4
        foreach (float theta in thetas)
        {
            double s = Math.Sin(theta);
            double expected = s * s;
            double actual = CodecActivationKernels.SinSquared(theta);
            // A few ulp of the result, plus the reduction's error, which grows with |θ| (|θ|·2^-24·2 at most).
            double tolerance = 6e-8 + 2.5e-7 * expected + 1.2e-7 * Math.Abs(theta) * 1e-3;
            Assert.True(Math.Abs(actual - expected) <= tolerance, $"sin²({theta}) = {actual}, expected {expected}");
        }
    }
}
