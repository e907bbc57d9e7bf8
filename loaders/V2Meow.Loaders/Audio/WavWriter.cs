using System.Buffers.Binary;
using V2Meow.Loaders.Video;

namespace V2Meow.Loaders.Audio;

/// <summary>
/// Writes mono 16-bit PCM WAV (RIFF, WAVE_FORMAT_PCM) at the codec's sample rate. Samples are clipped to
/// [−1, 1] and scaled by 32767, so −1 and 1 map to −32767 and 32767 (symmetric; −32768 is never used) and
/// NaN to 0: whatever the decoder hands over, the file is a valid signal.
/// </summary>
public static class WavWriter
{
    /// <summary>16-bit signed PCM.</summary>
    public const int BitsPerSample = 16;
    /// <summary>Mono.</summary>
    public const int Channels = 1;
    /// <summary>RIFF header, fmt chunk and data chunk header.</summary>
    public const int HeaderBytes = 44;

    /// <summary>
    /// Writes <paramref name="samples"/> to <paramref name="path"/> through a temporary name in the same
    /// folder, renamed over the path only once complete: a failure never leaves a partial WAV there.
    /// </summary>
    public static void Write(string path, ReadOnlySpan<float> samples, int sampleRate)
    {
        CheckArguments(samples.Length, sampleRate);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? ".";
        string temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                Write(stream, samples, sampleRate);
            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw new MediaException(path, $"cannot write the WAV: {e.Message}", e);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>Writes the whole WAV (header and samples) to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, ReadOnlySpan<float> samples, int sampleRate)
    {
        CheckArguments(samples.Length, sampleRate);
        uint dataBytes = (uint)samples.Length * 2;
        Span<byte> header = stackalloc byte[HeaderBytes];
        "RIFF"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], 36 + dataBytes);
        "WAVE"u8.CopyTo(header[8..]);
        "fmt "u8.CopyTo(header[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 16);                 // fmt chunk size
        BinaryPrimitives.WriteUInt16LittleEndian(header[20..], 1);                  // WAVE_FORMAT_PCM
        BinaryPrimitives.WriteUInt16LittleEndian(header[22..], Channels);
        BinaryPrimitives.WriteUInt32LittleEndian(header[24..], (uint)sampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(header[28..], (uint)sampleRate * Channels * BitsPerSample / 8); // byte rate
        BinaryPrimitives.WriteUInt16LittleEndian(header[32..], Channels * BitsPerSample / 8);                   // block align
        BinaryPrimitives.WriteUInt16LittleEndian(header[34..], BitsPerSample);
        "data"u8.CopyTo(header[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(header[40..], dataBytes);
        stream.Write(header);

        Span<byte> buffer = stackalloc byte[8192];
        for (int at = 0; at < samples.Length; at += buffer.Length / 2)
        {
            int n = Math.Min(buffer.Length / 2, samples.Length - at);
            for (int i = 0; i < n; i++)
                BinaryPrimitives.WriteInt16LittleEndian(buffer[(2 * i)..], ToPcm16(samples[at + i]));
            stream.Write(buffer[..(2 * n)]);
        }
    }

    /// <summary>One sample as 16-bit PCM: clipped to [−1, 1], scaled by 32767, rounded to nearest; NaN is 0.</summary>
    public static short ToPcm16(float sample)
    {
        if (float.IsNaN(sample)) return 0;
        float clipped = Math.Clamp(sample, -1f, 1f);
        return (short)MathF.Round(clipped * 32767f);
    }

    static void CheckArguments(int count, int sampleRate)
    {
        if (sampleRate < 1)
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "a WAV needs a sample rate of at least 1 Hz");
        // RIFF sizes are 32-bit: 36 + 2·n must fit.
        if ((long)count * 2 + 36 > uint.MaxValue)
            throw new ArgumentException($"{count} samples do not fit in one WAV (at most {(uint.MaxValue - 36) / 2})");
    }

    static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
