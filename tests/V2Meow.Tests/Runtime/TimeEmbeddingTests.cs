using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Tests.Runtime;

/// <summary>SPEC §6.8's formula at points worked by hand; the enc_dec golden set pins it against the reference.</summary>
public class TimeEmbeddingTests
{
    [Fact]
    public void RowsFollowTheFormula()
    {
        // d = 10: periods 0.5, 1, 2, 4, 8 s.
        var config = new TimeEmbeddingConfig(0.5, 8);
        float[] rows = TimeEmbedding.Rows(config, 10, [0.0, 0.125, 2.0]);
        Assert.Equal(30, rows.Length);
        Assert.Equal([0f, 1f, 0f, 1f, 0f, 1f, 0f, 1f, 0f, 1f], rows[..10]);
        Assert.Equal(1f, rows[10], 6);       // a quarter of the 0.5 s period
        Assert.Equal(0f, rows[11], 6);
        double[] periods = [0.5, 1, 2, 4, 8];
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal((float)Math.Sin(2 * Math.PI * 2.0 / periods[i]), rows[20 + 2 * i], 6);
            Assert.Equal((float)Math.Cos(2 * Math.PI * 2.0 / periods[i]), rows[20 + 2 * i + 1], 6);
        }
    }

    [Fact]
    public void FramesAreTimedAtTheirMiddlesAndTokensAtTheirPositions()
    {
        Assert.Equal([0.25, 0.25, 0.75, 0.75, 1.25], TimeEmbedding.FrameTimes(5, videoFps: 2, tokensPerFrame: 2));
        Assert.Equal([0.0, 0.04, 0.08], TimeEmbedding.TokenTimes(3, semanticHz: 25));
    }
}
