namespace V2Meow.Numerics;

/// <summary>
/// The counter-based generator of SPEC §8.1 (weights-spec/reference/sampling.py): a SplitMix64 finaliser
/// over seed · G ⊕ stream · M1 ⊕ counter, all modulo 2^64. A draw depends only on (seed, stream, counter),
/// never on how many draws came before or on which thread makes it, so a seed repeats on every device.
/// </summary>
public static class CounterRng
{
    /// <summary>G of SPEC §8.1, multiplying the seed.</summary>
    public const ulong Golden = 0x9E3779B97F4A7C15;   // SplitMix64 increment (2^64 / golden ratio)
    /// <summary>M1 of SPEC §8.1: multiplies the stream and is the finaliser's first multiplier.</summary>
    public const ulong Mix1 = 0xBF58476D1CE4E5B9;     // SplitMix64 finaliser multipliers
    /// <summary>M2 of SPEC §8.1, the finaliser's second multiplier.</summary>
    public const ulong Mix2 = 0x94D049BB133111EB;

    /// <summary>The SplitMix64 finaliser: h from x (SPEC §8.1).</summary>
    public static ulong Finalise(ulong z)
    {
        z = (z ^ (z >> 30)) * Mix1;
        z = (z ^ (z >> 27)) * Mix2;
        return z ^ (z >> 31);
    }

    /// <summary>The top 24 bits of the hash: u = bits · 2^-24 is exact in f32 and f64.</summary>
    public static int Bits24(ulong seed, ulong stream, ulong counter) =>
        (int)(Finalise((seed * Golden) ^ (stream * Mix1) ^ counter) >> 40);

    /// <summary>u(seed, stream, counter) in [0, 1), a multiple of 2^-24 (SPEC §8.1).</summary>
    public static double Uniform(ulong seed, ulong stream, ulong counter) => Bits24(seed, stream, counter) * (1.0 / 16777216.0);
}
