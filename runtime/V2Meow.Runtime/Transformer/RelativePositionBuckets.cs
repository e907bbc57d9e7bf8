namespace V2Meow.Runtime.Transformer;

/// <summary>
/// T5 relative-position buckets (SPEC §6.5), the twin of weights-spec/reference/buckets.py: the log step in
/// f32 at every operation, as HF transformers' <c>_relative_position_bucket</c> computes it on an f32
/// tensor, so bucket boundaries fall where the reference puts them. relative = key − query.
/// </summary>
public static class RelativePositionBuckets
{
    /// <summary>
    /// The bucket of <paramref name="relative"/> = key − query among <paramref name="buckets"/>; bidirectional (encoder) halves the buckets
    /// per sign (SPEC §6.5).
    /// </summary>
    public static int Bucket(int relative, bool bidirectional, int buckets, int maxDistance)
    {
        int half = buckets, baseBucket = 0, distance;
        if (bidirectional)
        {
            half = buckets / 2;
            baseBucket = relative > 0 ? half : 0;
            distance = Math.Abs(relative);
        }
        else distance = Math.Max(-relative, 0);
        int maxExact = half / 2;
        if (distance < maxExact) return baseBucket + distance;
        // f32 throughout: ratio = f32(log(max_distance / max_exact)) from a double, as numpy casts the Python float.
        float ratio = (float)Math.Log(maxDistance / (double)maxExact);
        float scaled = MathF.Log(distance / (float)maxExact) / ratio * (half - maxExact);
        int large = Math.Min(maxExact + (int)scaled, half - 1); // truncation toward zero; scaled ≥ 0 here
        return baseBucket + large;
    }

    /// <summary>[queryLength, keyLength] buckets for queries at positions queryOffset.. and keys at 0..</summary>
    public static int[] Matrix(int queryLength, int keyLength, bool bidirectional, int buckets, int maxDistance, int queryOffset = 0)
    {
        var result = new int[queryLength * keyLength];
        for (int i = 0; i < queryLength; i++)
            for (int j = 0; j < keyLength; j++)
                result[i * keyLength + j] = Bucket(j - (queryOffset + i), bidirectional, buckets, maxDistance);
        return result;
    }

    /// <summary>
    /// The bias table attention kernels read, [heads, 2 · maxDistance + 1]: entry (h, r + maxDistance) is
    /// relBias[bucket(r), h] for r = key − query in −maxDistance..maxDistance. Distances at or beyond
    /// maxDistance all land in the last bucket of their side, so clamping r to that range is exact.
    /// </summary>
    public static float[] BiasTable(ReadOnlySpan<float> relBias, int heads, bool bidirectional, int buckets, int maxDistance)
    {
        int width = 2 * maxDistance + 1;
        var table = new float[heads * width];
        for (int r = -maxDistance; r <= maxDistance; r++)
        {
            int bucket = Bucket(r, bidirectional, buckets, maxDistance);
            for (int h = 0; h < heads; h++) table[h * width + r + maxDistance] = relBias[bucket * heads + h];
        }
        return table;
    }
}
