using V2Meow.Runtime.Scoring;

namespace V2Meow.Tests.Scoring;

/// <summary>The onset detector and the optical flow on signals whose answer is known in advance.</summary>
public class OnsetAndFlowTests
{
    static float[] Clicks(double seconds, params double[] at)
    {
        var x = new float[(int)(seconds * OnsetDetector.SampleRate)];
        var random = new Random(3);
        foreach (double t in at)
            for (int i = 0; i < 800; i++)
                x[(int)(t * OnsetDetector.SampleRate) + i] += (float)(0.5 * (random.NextDouble() * 2 - 1) * Math.Exp(-i / 240.0));
        return x;
    }

    [Fact]
    public void ClicksAreFoundWithinTwoFrames()
    {
        double[] at = [0.3, 0.9, 1.55, 2.4];
        var onsets = OnsetDetector.Onsets(Clicks(3, at));
        Assert.Equal(at.Length, onsets.Count);
        // The flux peaks in the first frame whose window reaches the click: within 20 ms of it.
        for (int i = 0; i < at.Length; i++) Assert.InRange(onsets[i], at[i] - 0.02, at[i] + 0.02);
    }

    [Fact]
    public void SilenceAndTinyAudioHaveNoOnsets()
    {
        Assert.Empty(OnsetDetector.Onsets(new float[16000]));
        Assert.Empty(OnsetDetector.Onsets(new float[100]));
        Assert.Empty(OnsetDetector.Envelope(ReadOnlySpan<float>.Empty));
    }

    static byte[] Texture(int width, int height, int shift)
    {
        var gray = new byte[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double u = x - shift;
                gray[y * width + x] = (byte)(128 + 60 * Math.Sin(u * 0.31) * Math.Cos(y * 0.23) + 40 * Math.Sin((u + 2 * y) * 0.11));
            }
        return gray;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(6)]
    public void ATranslationIsMeasuredAsItsLength(int shift)
    {
        var flow = new FarnebackFlow();
        var a = flow.Prepare(Texture(96, 72, 0), 96, 72);
        var b = flow.Prepare(Texture(96, 72, shift), 96, 72);
        var field = flow.Compute(a, b);
        // The interior (away from the attenuated 5-pixel border and the window's reach) moves by (shift, 0).
        double dx = 0, dy = 0;
        int n = 0;
        for (int y = 20; y < 52; y++)
            for (int x = 20; x < 76; x++)
            {
                dx += field[(y * 96 + x) * 2];
                dy += field[(y * 96 + x) * 2 + 1];
                n++;
            }
        // Within 10 %: Farnebäck's quadratic model is exact only for quadratic images; a sinusoid bends it.
        Assert.InRange(dx / n, shift * 0.9, shift * 1.1);
        Assert.InRange(dy / n, -0.1 * shift, 0.1 * shift);
    }

    [Fact]
    public void GrayIsOpenCvsFixedPointLuma()
    {
        // cv2.cvtColor of pure red, green, blue and white: 76, 150, 29, 255.
        Assert.Equal([76, 150, 29, 255], FarnebackFlow.Gray([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]));
    }

    [Fact]
    public void LocalMaximaAreStrict()
    {
        // A plateau is no peak; the ends are never peaks.
        Assert.Equal([1 / 10.0, 5 / 10.0], VideoMotion.LocalMaxima([0, 2, 1, 3, 3, 4, 1, 5], 10));
    }
}
