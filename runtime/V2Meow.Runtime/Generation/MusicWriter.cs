using V2Meow.Loaders.Audio;
using V2Meow.Loaders.Files;
using V2Meow.Loaders.Video;

namespace V2Meow.Runtime.Generation;

/// <summary>
/// Writes a generated waveform: a .wav as 16-bit PCM at the codec's rate, or a video container (.mp4,
/// .mkv, .mov) as the input video with the music as its only audio track (AAC). Both are written under a
/// temporary name and renamed when complete, so a failure leaves nothing at the output path.
/// </summary>
public static class MusicWriter
{
    /// <summary>Whether <paramref name="path"/> ends in .wav (any case), which is written without muxing.</summary>
    public static bool IsWav(string path) => Path.GetExtension(path).Equals(".wav", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Writes waveform <paramref name="candidate"/> of <paramref name="result"/> to <paramref name="outputPath"/>: a WAV, or
    /// <paramref name="videoPath"/> with the music as its audio track for .mp4, .mkv and .mov.
    /// </summary>
    public static async Task WriteAsync(GenerationResult result, int candidate, string outputPath, string videoPath,
        CancellationToken cancellationToken = default)
    {
        if (candidate < 0 || candidate >= result.Candidates)
            throw new ArgumentOutOfRangeException(nameof(candidate), candidate, $"the result has {result.Candidates} candidates");
        OutputFile.Check(outputPath, [videoPath]);
        float[] samples = result.Waveforms[candidate];
        // WavWriter would write NaN as silence: a waveform that is not finite is an error, not music.
        int bad = Array.FindIndex(samples, v => !float.IsFinite(v));
        if (bad >= 0)
            throw new MediaException(outputPath,
                $"candidate {candidate}: codec.waveform sample {bad} is {samples[bad]}; the model's output is not finite, nothing was written");
        if (IsWav(outputPath))
        {
            WavWriter.Write(outputPath, samples, result.SampleRate);
            return;
        }

        Muxer.ContainerFor(outputPath); // refuse an unknown container before any work
        string wav = Path.Combine(Path.GetTempPath(), $"v2meow-{Environment.ProcessId}-{Guid.NewGuid():N}.wav");
        try
        {
            WavWriter.Write(wav, samples, result.SampleRate);
            await new Muxer().MuxAsync(videoPath, wav, outputPath, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(wav);
        }
    }

    /// <summary>"out.mp4" for candidate 0 of 1; "out.2.mp4" for the third of several.</summary>
    public static string PathFor(string outputPath, int candidate, int candidates) =>
        candidates == 1 ? outputPath
            : Path.Combine(Path.GetDirectoryName(outputPath) ?? "",
                $"{Path.GetFileNameWithoutExtension(outputPath)}.{candidate}{Path.GetExtension(outputPath)}");
}
