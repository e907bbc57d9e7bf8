using System.Globalization;
using System.Runtime.InteropServices;
using V2Meow.Loaders.Video;

namespace V2Meow.Loaders.Audio;

/// <summary>
/// Reads the first audio stream of any file ffmpeg reads (an audio file, or a video's audio track) as mono float32
/// samples at a chosen rate: ffmpeg downmixes the channels (their mean) and resamples with its default resampler.
/// The file is probed first, so a file with no audio, an unreadable one or one claiming too long a duration is one
/// <see cref="MediaException"/> naming it.
/// </summary>
public sealed class AudioReader
{
    readonly FFmpegBinaries _binaries;

    /// <summary>A reader running the ffmpeg of <paramref name="binaries"/>, or <see cref="FFmpegBinaries.Default"/> when null.</summary>
    public AudioReader(FFmpegBinaries? binaries = null) => _binaries = binaries ?? FFmpegBinaries.Default;

    /// <summary>Longest audio accepted unless the caller says otherwise: two hours, as for videos.</summary>
    public const double DefaultMaxDurationSeconds = VideoProbe.DefaultMaxDurationSeconds;

    /// <summary>
    /// The samples of <paramref name="path"/>'s first audio stream, mono, at <paramref name="sampleRate"/> Hz. Audio
    /// longer than <paramref name="maxSeconds"/>, by its header or once decoded, is refused.
    /// </summary>
    public async Task<float[]> ReadMonoAsync(string path, int sampleRate, double maxSeconds = DefaultMaxDurationSeconds,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, 1);
        if (!double.IsFinite(maxSeconds) || maxSeconds <= 0)
            throw new ArgumentOutOfRangeException(nameof(maxSeconds), maxSeconds, "a finite number of seconds > 0");
        var probe = await VideoProbe.ProbeAsync(path, _binaries, "an audio file", cancellationToken).ConfigureAwait(false);
        if (!probe.HasAudio)
            throw new MediaException(path, probe.HasVideo ? "has no audio stream (video only)" : "has no audio stream");
        if (probe.DurationSeconds > maxSeconds)
            throw new MediaException(path, string.Create(CultureInfo.InvariantCulture,
                $"claims to last {probe.DurationSeconds:0.##} s, more than the limit of {maxSeconds:0.##} s"));

        // A header can understate the length: the decode itself stops past the limit.
        long limit = (long)Math.Ceiling(maxSeconds * sampleRate);
        string[] arguments =
        [
            "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error",
            "-i", VideoProbe.FileArgument(path), "-map", "0:a:0", "-vn", "-ac", "1", "-ar", sampleRate.ToString(CultureInfo.InvariantCulture),
            "-f", "f32le", "pipe:1",
        ];
        var samples = new List<float>();
        await using (var ffmpeg = FFmpegProcess.Start(_binaries.FFmpegPath(path), arguments, readOutput: true, path))
        {
            var buffer = new byte[1 << 16];
            int pending = 0, read;
            while ((read = await ffmpeg.Output.ReadAsync(buffer.AsMemory(pending), cancellationToken).ConfigureAwait(false)) > 0)
            {
                int available = pending + read, whole = available / sizeof(float) * sizeof(float);
                samples.AddRange(MemoryMarshal.Cast<byte, float>(buffer.AsSpan(0, whole)));
                if (samples.Count > limit)
                    throw new MediaException(path, string.Create(CultureInfo.InvariantCulture,
                        $"decodes to more than the limit of {maxSeconds:0.##} s of audio"));
                pending = available - whole;
                buffer.AsSpan(whole, pending).CopyTo(buffer);
            }
            int exitCode = await ffmpeg.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            // A decoder that complains about one damaged frame but finishes (exit 0) gives usable audio; a failed run does not.
            if (exitCode != 0)
                throw new MediaException(path, $"cannot decode its audio (ffmpeg: {ffmpeg.ErrorSummary(VideoProbe.FileArgument(path))})");
        }
        if (samples.Count == 0) throw new MediaException(path, "its audio stream holds no samples");
        return [.. samples];
    }
}
