using V2Meow.Numerics;

namespace V2Meow.Tests.Kernels;

/// <summary>The counter-based generator against SPEC §8.1's test vectors.</summary>
public class CounterRngTests
{
    [Theory]
    [InlineData(0UL, 0UL, 0UL, 0x0000000000000000UL, 0.0)]
    [InlineData(0UL, 0UL, 1UL, 0x5692161D100B05E5UL, 0.33816659450531006)]
    [InlineData(1UL, 0UL, 0UL, 0xE220A8397B1DCDAFUL, 0.8833107948303223)]
    [InlineData(42UL, 1UL, 7UL, 0x27F5704280CE0FBCUL, 0.15608882904052734)]
    [InlineData(ulong.MaxValue, 3UL, ulong.MaxValue, 0x8012E556796F4352UL, 0.5002883076667786)]
    public void MatchesTheSpecVectors(ulong seed, ulong stream, ulong counter, ulong hash, double u)
    {
        Assert.Equal(hash, CounterRng.Finalise((seed * CounterRng.Golden) ^ (stream * CounterRng.Mix1) ^ counter));
        Assert.Equal((int)(hash >> 40), CounterRng.Bits24(seed, stream, counter));
        Assert.Equal(u, CounterRng.Uniform(seed, stream, counter)); // exact: 24 bits times a power of two
    }
}
