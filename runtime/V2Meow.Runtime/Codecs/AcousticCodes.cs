namespace V2Meow.Runtime.Codecs;

/// <summary>RVQ codes [levels, frames], row-major, each in [0, codebook_size): what stage 2 and 3 produce and the codec reads.</summary>
public sealed record AcousticCodes(int Levels, int Frames, int[] Codes)
{
    /// <summary>The code of <paramref name="level"/> at <paramref name="frame"/>.</summary>
    public int this[int level, int frame] => Codes[level * Frames + frame];

    /// <summary>Codes from the time-major order the stages emit (frame 0's levels, then frame 1's, …) into [levels, frames].</summary>
    public static AcousticCodes FromTimeMajor(ReadOnlySpan<int> codes, int levels)
    {
        int frames = codes.Length / levels;
        var values = new int[levels * frames];
        for (int t = 0; t < frames; t++)
            for (int q = 0; q < levels; q++) values[q * frames + t] = codes[t * levels + q];
        return new AcousticCodes(levels, frames, values);
    }

    /// <summary>Frames [start, start + count) of every level.</summary>
    public AcousticCodes Slice(int start, int count)
    {
        var values = new int[Levels * count];
        for (int q = 0; q < Levels; q++) Array.Copy(Codes, q * Frames + start, values, q * count, count);
        return new AcousticCodes(Levels, count, values);
    }

    /// <summary>The parts one after another in time; all must have the same number of levels.</summary>
    public static AcousticCodes Concatenate(IReadOnlyList<AcousticCodes> parts)
    {
        int levels = parts[0].Levels, frames = parts.Sum(p => p.Frames), offset = 0;
        var values = new int[levels * frames];
        foreach (var part in parts)
        {
            for (int q = 0; q < levels; q++) Array.Copy(part.Codes, q * part.Frames, values, q * frames + offset, part.Frames);
            offset += part.Frames;
        }
        return new AcousticCodes(levels, frames, values);
    }
}
