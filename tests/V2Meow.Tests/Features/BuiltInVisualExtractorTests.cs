using V2Meow.Loaders.Features;
using V2Meow.Loaders.Video;
using V2Meow.Tests.Video;

namespace V2Meow.Tests.Features;

public class BuiltInVisualExtractorTests
{
    const int W = 32, H = 24;

    static VideoFrame Solid(int index, byte r, byte g, byte b)
    {
        var rgb = new byte[W * H * 3];
        for (int i = 0; i < rgb.Length; i += 3) (rgb[i], rgb[i + 1], rgb[i + 2]) = (r, g, b);
        return new VideoFrame(index, index, W, H, rgb);
    }

    static float[] Row(float[,] rows, int step) =>
        Enumerable.Range(0, BuiltInVisualExtractor.Dimension).Select(j => rows[step, j]).ToArray();

    static int Column(string name) => BuiltInVisualExtractor.FeatureNames.ToList().IndexOf(name);

    [Fact]
    public void LayoutHasOneNamePerColumn()
    {
        Assert.Equal(BuiltInVisualExtractor.Dimension, BuiltInVisualExtractor.FeatureNames.Count);
        Assert.Equal(BuiltInVisualExtractor.Dimension, BuiltInVisualExtractor.FeatureNames.Distinct().Count());
        Assert.Equal("builtin", BuiltInVisualExtractor.Stream.Name);
        Assert.True(BuiltInVisualExtractor.Stream.IsDense);
        Assert.Equal(BuiltInVisualExtractor.Dimension, BuiltInVisualExtractor.Stream.Dim);
    }

    [Fact]
    public void StillRedPicture()
    {
        var rows = BuiltInVisualExtractor.Compute(Enumerable.Range(0, 16).Select(i => Solid(i, 255, 0, 0)), 2);
        float[] expected = new float[BuiltInVisualExtractor.Dimension];
        expected[Column("mean_r")] = 1;
        expected[Column("brightness")] = 0.299f;
        expected[Column("saturation")] = 1;
        expected[Column("hue_0")] = 1;
        // Everything else is 0: no spread, no motion, no change, no edges. Exact: integer sums of equal pixels.
        Assert.Equal(expected, Row(rows, 0));
        Assert.Equal(expected, Row(rows, 1));
    }

    [Theory]
    [InlineData(255, 255, 0, "hue_45")]   // yellow, 60°
    [InlineData(0, 255, 0, "hue_135")]    // green, 120°
    [InlineData(0, 255, 255, "hue_180")]  // cyan
    [InlineData(0, 0, 255, "hue_225")]    // blue, 240°
    [InlineData(255, 0, 255, "hue_315")]  // magenta, 300°
    [InlineData(255, 128, 0, "hue_45")]   // orange, 30.1°
    [InlineData(255, 0, 64, "hue_0")]     // crimson, 345°
    public void HueLandsInItsBin(byte r, byte g, byte b, string bin)
    {
        var row = Row(BuiltInVisualExtractor.Compute([Solid(0, r, g, b)], 1), 0);
        for (int i = 0; i < 8; i++)
            Assert.Equal(BuiltInVisualExtractor.FeatureNames[9 + i] == bin ? 1f : 0f, row[9 + i]);
    }

    [Theory]
    [InlineData(128, 128, 128)] // grey: no saturation
    [InlineData(40, 0, 0)]      // too dark to have a colour (value < 0.2)
    [InlineData(255, 230, 230)] // too pale (saturation < 0.2)
    public void UncolouredPixelsStayOutOfTheHueHistogram(byte r, byte g, byte b)
    {
        var row = Row(BuiltInVisualExtractor.Compute([Solid(0, r, g, b)], 1), 0);
        Assert.All(row[9..17], v => Assert.Equal(0f, v));
    }

    [Fact]
    public void ACutIsMarkedInTheStepItHappensAndMotionSeesItAtEachLag()
    {
        var frames = Enumerable.Range(0, 8).Select(i => Solid(i, 255, 0, 0))
            .Concat(Enumerable.Range(8, 8).Select(i => Solid(i, 0, 0, 255)));
        var rows = BuiltInVisualExtractor.Compute(frames, 2);
        var before = Row(rows, 0);
        var after = Row(rows, 1);
        Assert.Equal(0f, before[Column("cut")]);
        Assert.Equal(0f, before[Column("motion_lag1")]);
        Assert.Equal(1f, after[Column("cut")]);
        Assert.Equal(1f, after[Column("colour_change")]); // every pixel changed histogram bin

        // |Y(blue) − Y(red)| = 0.299 − 0.114. Of step 1's 8 pairs at lag L, L straddle the cut.
        const float jump = 0.185f;
        // float32 rounding of a mean of exact integers: 1e-6.
        Assert.Equal(jump / 8, after[Column("motion_lag1")], 1e-6f);
        Assert.Equal(jump * 2 / 8, after[Column("motion_lag2")], 1e-6f);
        Assert.Equal(jump * 4 / 8, after[Column("motion_lag4")], 1e-6f);
        Assert.Equal(jump, after[Column("motion_peak")], 1e-6f);
    }

    [Fact]
    public void EdgeDensityCountsTheColumnsBesideAnEdge()
    {
        var rgb = new byte[W * H * 3];
        for (int y = 0; y < H; y++)
            for (int x = W / 2; x < W; x++)
                rgb[(y * W + x) * 3] = rgb[(y * W + x) * 3 + 1] = rgb[(y * W + x) * 3 + 2] = 255;
        var row = Row(BuiltInVisualExtractor.Compute([new VideoFrame(0, 0, W, H, rgb)], 1), 0);
        // Columns 15 and 16 of the 30 × 22 interior pixels see the black/white step.
        Assert.Equal(2f * 22 / (30 * 22), row[Column("edge_density")], 1e-6f);
        Assert.Equal(0.5f, row[Column("brightness")], 1e-6f);
        Assert.Equal(0.5f, row[Column("contrast")], 1e-6f);
    }

    [Fact]
    public void StepsPastTheLastFrameRepeatItsRowAndResultsAreBitwiseRepeatable()
    {
        var random = new Random(3);
        var frames = Enumerable.Range(0, 11).Select(i =>
        {
            var rgb = new byte[W * H * 3];
            random.NextBytes(rgb);
            return new VideoFrame(i, i, W, H, rgb);
        }).ToList();
        var first = BuiltInVisualExtractor.Compute(frames, 3);
        var second = BuiltInVisualExtractor.Compute(frames, 3);
        Assert.Equal(first.Cast<float>(), second.Cast<float>());
        Assert.Equal(Row(first, 1), Row(first, 2));
        Assert.All(first.Cast<float>(), v => Assert.InRange(v, 0f, 1f));
    }
}

[Collection(MediaCollection.Name)]
public class BuiltInVisualExtractorVideoTests(TestMedia media)
{
    static int Column(string name) => BuiltInVisualExtractor.FeatureNames.ToList().IndexOf(name);

    [Fact]
    public async Task OneRowPerOutputFrameAllInUnitRange()
    {
        var features = await new BuiltInVisualExtractor().ExtractAsync(media.OddSize);
        Assert.Equal(4, features.Frames); // 3.5 s at 1 fps
        Assert.All(features.DenseValues.ToArray(), v => Assert.InRange(v, 0f, 1f));
        // testsrc scrolls a gradient and runs a counter: the picture moves and has edges.
        for (int t = 0; t < 4; t++)
        {
            Assert.True(features.Row(t)[Column("motion_lag1")] > 0);
            Assert.True(features.Row(t)[Column("edge_density")] > 0.01);
        }

        var twice = await new BuiltInVisualExtractor().ExtractAsync(media.OddSize, fps: 2);
        Assert.Equal(7, twice.Frames);
    }

    [Fact]
    public async Task ShortClipGivesOneRow()
    {
        var features = await new BuiltInVisualExtractor().ExtractAsync(media.Short);
        Assert.Equal(1, features.Frames);
        Assert.Equal(1f, features.Row(0)[Column("hue_0")], 0.02f);
    }

    [Fact]
    public async Task SolidColourVideoHasItsColourAndNoMotion()
    {
        var features = await new BuiltInVisualExtractor().ExtractAsync(media.WithAudio);
        var (r, g, b) = TestMedia.WithAudioColour;
        for (int t = 0; t < features.Frames; t++)
        {
            var row = features.Row(t);
            // yuv420p limited range rounds each channel by a few levels: 6/255.
            Assert.Equal(r / 255f, row[Column("mean_r")], 6 / 255f);
            Assert.Equal(g / 255f, row[Column("mean_g")], 6 / 255f);
            Assert.Equal(b / 255f, row[Column("mean_b")], 6 / 255f);
            Assert.Equal(0f, row[Column("motion_lag1")], 0.002f);
            Assert.Equal(0f, row[Column("cut")]);
            Assert.Equal(0f, row[Column("edge_density")]);
        }
    }

    [Fact]
    public async Task CutFromRedToGreenIsMarkedInTheFirstSecond()
    {
        // Red until 0.3 s: the sub-frames at 1/16 and 3/16 s are red, the six after are green.
        var features = await new BuiltInVisualExtractor().ExtractAsync(media.Segments);
        Assert.Equal(2, features.Frames);
        Assert.Equal(1f, features.Row(0)[Column("cut")]);
        Assert.Equal(0f, features.Row(1)[Column("cut")]);
        Assert.Equal(2 / 8f, features.Row(0)[Column("mean_r")], 0.03f);
        Assert.Equal(6 / 8f, features.Row(0)[Column("mean_g")], 0.03f);
    }
}
