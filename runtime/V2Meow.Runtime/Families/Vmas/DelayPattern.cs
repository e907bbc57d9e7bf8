namespace V2Meow.Runtime.Families.Vmas;

/// <summary>
/// MusicGen's delay interleaving (VMAS.md §7.1): step j outputs, for codebook k, the code of frame j − k,
/// or the special token N where that frame does not exist. Position 0 holds N for every codebook and
/// position j + 1 holds step j's output; position p predicts step p. T frames take T + K − 1 steps.
/// </summary>
public static class DelayPattern
{
    /// <summary>Steps (and fed positions) a window of <paramref name="frames"/> frames of <paramref name="codebooks"/> codebooks takes.</summary>
    public static int Steps(int frames, int codebooks) => frames + codebooks - 1;

    /// <summary>The frame codebook <paramref name="k"/> outputs at step <paramref name="step"/>, or null where it outputs N.</summary>
    public static int? FrameAt(int step, int k, int frames)
    {
        int t = step - k;
        return t >= 0 && t < frames ? t : null;
    }

    /// <summary>
    /// The input ids [positions, K] (position-major) that feed codes [K, frames] (row-major) through
    /// <paramref name="positions"/> positions: position 0 all N, position p the output of step p − 1.
    /// </summary>
    public static int[] InputIds(ReadOnlySpan<int> codes, int codebooks, int frames, int special, int positions)
    {
        var ids = new int[positions * codebooks];
        for (int p = 0; p < positions; p++)
            for (int k = 0; k < codebooks; k++)
                ids[p * codebooks + k] = p > 0 && FrameAt(p - 1, k, frames) is int t ? codes[k * frames + t] : special;
        return ids;
    }
}
