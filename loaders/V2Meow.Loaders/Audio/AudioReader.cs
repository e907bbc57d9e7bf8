using System.Buffers.Binary;
using System.Globalization;
using V2Meow.Loaders.Files;
using V2Meow.Loaders.Video;

namespace V2Meow.Loaders.Audio;

/// <summary>
/// Reads the audio of a file as mono float samples at a chosen rate, for analysis (scoring): a WAV at that
/// rate is parsed here (PCM 8/16/24/32-bit, IEEE float 32/64, WAVE_FORMAT_EXTENSIBLE; channels averaged;
/// integer PCM scaled by 1/2^(bits−1), so 16-bit −32768 is −1), anything else (another rate, AAC in an
/// .mp4, FLAC…) is decoded by ffmpeg to 32-bit float mono at the rate (<c>-ac 1 -ar RATE</c>, ffmpeg's own
/// downmix and resampler). Both paths give the same numbers for a 16-bit WAV at the rate, as ffmpeg also
/// divides by 32768.
/// </summary>
public static class AudioReader
{
    /// <summary>Longest audio read unless the caller says otherwise, in seconds (two hours, as for videos): a damaged header can claim any length.</summary>
    public const double DefaultMaxDurationSeconds = VideoProbe.DefaultMaxDurationSeconds;

    /// <summary>
    /// The audio of <paramref name="path"/> as mono samples at <paramref name="sampleRate"/>; audio longer than
    /// <paramref name="maxSeconds"/>, by its header or once decoded, is refused.
    /// </summary>
    public static async Task<float[]> ReadMonoAsync(string path, int sampleRate, double maxSeconds = DefaultMaxDurationSeconds,
        FFmpegBinaries? binaries = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, 1);
        if (!double.IsFinite(maxSeconds) || maxSeconds <= 0)
            throw new ArgumentOutOfRangeException(nameof(maxSeconds), maxSeconds, "a finite number of seconds > 0");
        var (target, _) = InputFile.Require(path, problem => new MediaException(path, problem));
        if (TryReadWav(target, path, sampleRate, maxSeconds) is { } samples) return samples;
        return await DecodeAsync(path, sampleRate, maxSeconds, binaries ?? FFmpegBinaries.Default, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The samples of a WAV at exactly <paramref name="sampleRate"/>, or null when the file is no WAV this parses or has another rate.</summary>
    static float[]? TryReadWav(string target, string path, int sampleRate, double maxSeconds)
    {
        using var stream = new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.Read);
        Span<byte> header = stackalloc byte[12];
        if (stream.Length < 12 || stream.ReadAtLeast(header, 12, throwOnEndOfStream: false) < 12) return null;
        if (!header[..4].SequenceEqual("RIFF"u8) || !header[8..12].SequenceEqual("WAVE"u8)) return null;

        int format = 0, channels = 0, rate = 0, bits = 0;
        Span<byte> chunk = stackalloc byte[8];
        while (stream.ReadAtLeast(chunk, 8, throwOnEndOfStream: false) == 8)
        {
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(chunk[4..]);
            if (chunk[..4].SequenceEqual("fmt "u8))
            {
                if (size < 16 || size > 1024) throw new MediaException(path, $"WAV fmt chunk of {size} bytes; expected 16 to 1024");
                var fmt = new byte[size];
                stream.ReadExactly(fmt);
                format = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
                channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt.AsSpan(2));
                rate = (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(fmt.AsSpan(4)));
                bits = BinaryPrimitives.ReadUInt16LittleEndian(fmt.AsSpan(14));
                if (format == 0xFFFE && size >= 26) format = BinaryPrimitives.ReadUInt16LittleEndian(fmt.AsSpan(24)); // the sub-format GUID's first two bytes
                if ((size & 1) == 1) stream.Seek(1, SeekOrigin.Current);
            }
            else if (chunk[..4].SequenceEqual("data"u8))
            {
                bool integer = format == 1 && bits is 8 or 16 or 24 or 32;
                bool floating = format == 3 && bits is 32 or 64;
                if (!(integer || floating) || channels < 1 || rate != sampleRate) return null; // ffmpeg reads (and resamples) the rest
                // Streamed WAVs (ffmpeg to a pipe) say 0 or 0xFFFFFFFF: the data runs to the end of the file.
                long available = stream.Length - stream.Position;
                long bytes = size == 0 || size == uint.MaxValue ? available : Math.Min(size, available);
                int frameBytes = channels * bits / 8;
                long frames = bytes / frameBytes;
                if (frames > maxSeconds * rate)
                    throw new MediaException(path, string.Create(CultureInfo.InvariantCulture,
                        $"{frames / (double)rate:0.#} s of audio; at most {maxSeconds} s are read"));
                var data = new byte[frames * frameBytes];
                stream.ReadExactly(data);
                return Mix(data, (int)frames, channels, bits, floating);
            }
            else
            {
                long skip = size + (size & 1);
                if (stream.Position + skip > stream.Length) return null;
                stream.Seek(skip, SeekOrigin.Current);
            }
        }
        if (format == 0) throw new MediaException(path, "WAV without a fmt chunk");
        throw new MediaException(path, "WAV without a data chunk");
    }

    static float[] Mix(byte[] data, int frames, int channels, int bits, bool floating)
    {
        var samples = new float[frames];
        int width = bits / 8;
        for (int f = 0; f < frames; f++)
        {
            double sum = 0;
            for (int c = 0; c < channels; c++)
            {
                var s = data.AsSpan((f * channels + c) * width, width);
                sum += (floating, bits) switch
                {
                    (true, 32) => BinaryPrimitives.ReadSingleLittleEndian(s),
                    (true, _) => BinaryPrimitives.ReadDoubleLittleEndian(s),
                    (false, 8) => (s[0] - 128) / 128.0,
                    (false, 16) => BinaryPrimitives.ReadInt16LittleEndian(s) / 32768.0,
                    (false, 24) => ((s[0] | s[1] << 8 | s[2] << 16) << 8 >> 8) / 8388608.0,
                    _ => BinaryPrimitives.ReadInt32LittleEndian(s) / 2147483648.0,
                };
            }
            samples[f] = (float)(sum / channels);
        }
        return samples;
    }

    static async Task<float[]> DecodeAsync(string path, int sampleRate, double maxSeconds, FFmpegBinaries binaries, CancellationToken cancellationToken)
    {
        var probe = await VideoProbe.ProbeAsync(path, binaries, "an audio file", cancellationToken).ConfigureAwait(false);
        if (!probe.HasAudio) throw new MediaException(path, probe.HasVideo ? "has no audio stream (video only)" : "has no audio stream");
        if (probe.DurationSeconds > maxSeconds)
            throw new MediaException(path, string.Create(CultureInfo.InvariantCulture,
                $"claims to last {probe.DurationSeconds:0.##} s, more than the limit of {maxSeconds:0.##} s"));
        string input = VideoProbe.FileArgument(path);
        string[] arguments =
        [
            "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error",
            "-i", input, "-map", "0:a:0", "-vn", "-sn", "-dn",
            "-ac", "1", "-ar", sampleRate.ToString(CultureInfo.InvariantCulture),
            "-f", "f32le", "-acodec", "pcm_f32le", "pipe:1",
        ];
        long maxBytes = (long)(maxSeconds * sampleRate) * 4;
        await using var ffmpeg = FFmpegProcess.Start(binaries.FFmpegPath(path), arguments, readOutput: true, path);
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        int read;
        while ((read = await ffmpeg.Output.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                throw new MediaException(path, $"decodes to more than the limit of {maxSeconds} s of audio");
            buffer.Write(chunk, 0, read);
        }
        int exitCode = await ffmpeg.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (exitCode != 0) throw new MediaException(path, $"cannot decode its audio (ffmpeg: {ffmpeg.ErrorSummary(input)})");
        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (bytes.Length < 4) throw new MediaException(path, "its audio stream holds no samples");
        var samples = new float[bytes.Length / 4];
        for (int i = 0; i < samples.Length; i++) samples[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
        return samples;
    }
}
