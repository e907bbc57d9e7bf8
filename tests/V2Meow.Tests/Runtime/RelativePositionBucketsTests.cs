using V2Meow.Runtime.Transformer;

namespace V2Meow.Tests.Runtime;

/// <summary>T5 buckets against SPEC §6.5's check values; the golden sets pin each example config's tables too.</summary>
public class RelativePositionBucketsTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(15, 15)]
    [InlineData(16, 16)]
    [InlineData(20, 17)]
    [InlineData(32, 21)]
    [InlineData(64, 26)]
    [InlineData(100, 30)]
    [InlineData(200, 31)]
    public void CausalCheckValues(int distance, int bucket) =>
        Assert.Equal(bucket, RelativePositionBuckets.Bucket(-distance, bidirectional: false, 32, 128));

    [Theory]
    [InlineData(0, 0)]
    [InlineData(-1, 1)]
    [InlineData(1, 17)]
    [InlineData(-7, 7)]
    [InlineData(7, 23)]
    [InlineData(-8, 8)]
    [InlineData(8, 24)]
    [InlineData(-20, 10)]
    [InlineData(20, 26)]
    [InlineData(-200, 15)]
    [InlineData(200, 31)]
    public void BidirectionalCheckValues(int relative, int bucket) =>
        Assert.Equal(bucket, RelativePositionBuckets.Bucket(relative, bidirectional: true, 32, 128));

    [Theory]
    [InlineData(16, 24)]
    [InlineData(20, 50)]
    [InlineData(12, 30)]
    [InlineData(32, 128)]
    public void BucketsSaturateFromMaxDistanceSoTheBiasTableMayClamp(int buckets, int maxDistance)
    {
        // The attention kernels read a table over −maxDistance..maxDistance and clamp longer distances.
        foreach (bool bidirectional in new[] { false, true })
            for (int r = maxDistance; r <= 4 * maxDistance; r++)
            {
                Assert.Equal(RelativePositionBuckets.Bucket(maxDistance, bidirectional, buckets, maxDistance), RelativePositionBuckets.Bucket(r, bidirectional, buckets, maxDistance));
                Assert.Equal(RelativePositionBuckets.Bucket(-maxDistance, bidirectional, buckets, maxDistance), RelativePositionBuckets.Bucket(-r, bidirectional, buckets, maxDistance));
            }
    }

    [Fact]
    public void TheBiasTableLooksUpEachDistancesBucket()
    {
        // rel_bias [buckets = 16, heads = 2]: bucket b, head h holds 10 · b + h.
        float[] relBias = Enumerable.Range(0, 16 * 2).Select(i => (float)(10 * (i / 2) + i % 2)).ToArray();
        float[] table = RelativePositionBuckets.BiasTable(relBias, heads: 2, bidirectional: true, buckets: 16, maxDistance: 24);
        for (int h = 0; h < 2; h++)
            for (int r = -24; r <= 24; r++)
                Assert.Equal(10 * RelativePositionBuckets.Bucket(r, true, 16, 24) + h, table[h * 49 + r + 24]);
    }
}
