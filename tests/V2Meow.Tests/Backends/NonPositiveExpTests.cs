using System.Numerics;
using V2Meow.Runtime.Backends.Cpu;

namespace V2Meow.Tests.Backends;

public class NonPositiveExpTests
{
    /// <summary>
    /// Every 1/4096 from −90 to 0, the ends and the points where n changes: the f32 exp of the CPU backend's ELU
    /// within 2 units of the f32 spacing above the rounded result of the f64 exp, and exactly 1 at ±0.
    /// </summary>
    [Fact]
    public void ExpOfNonPositiveInputsIsWithinTwoUlpOfFloat64()
    {
        var inputs = new List<float> { 0f, -0f, -1e-30f, -1e-7f, -87.33654f, -87.4f, -100f, float.NegativeInfinity };
        for (int i = 0; i <= 90 * 4096; i++) inputs.Add(-i / 4096f);
        for (int n = 0; n <= 126; n++) inputs.AddRange([(float)(-(n + 0.5) * Math.Log(2)), MathF.BitDecrement((float)(-(n + 0.5) * Math.Log(2)))]);
        int width = Vector<float>.Count;
        while (inputs.Count % width != 0) inputs.Add(-3f);
        var x = inputs.ToArray();
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i += width) NonPositiveExp.Exp(new Vector<float>(x, i)).CopyTo(y, i);

        double worst = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float expected = (float)Math.Exp(x[i]);
            if (x[i] < -87.33654f)
            {
                // Clamped: below the smallest normal, where ELU's exp(x) − 1 rounds to −1 anyway.
                Assert.True(y[i] >= 0f && y[i] < 1.2e-38f, $"exp({x[i]}) = {y[i]}");
                continue;
            }
            double ulp = MathF.BitIncrement(expected) - expected;
            double error = Math.Abs(y[i] - Math.Exp(x[i])) / ulp;
            worst = Math.Max(worst, error);
            Assert.True(error <= 2, $"exp({x[i]:R}) = {y[i]:R}, f64 {Math.Exp(x[i]):R}: {error:0.00} ulp");
        }
        Assert.Equal(1f, y[0]);
        Assert.Equal(1f, y[1]);
        Assert.True(worst > 0.3, "the grid should reach the rounding error of a polynomial exp");
    }
}
