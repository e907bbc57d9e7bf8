using V2Meow.Loaders.Video;

namespace V2Meow.Loaders.Audio;

/// <summary>
/// Puts generated music under a video: the video's first video stream copied as it is (no re-encode, so
/// no quality loss and rotation kept), the WAV encoded to AAC as the only audio track. Any audio, subtitle
/// or data streams of the input are dropped. The container follows the output's extension.
/// </summary>
/// <remarks>
/// The file is written to a hidden temporary name in the output's folder and renamed over
/// <c>outputPath</c> only once ffmpeg has finished, so a failure or a cancellation leaves nothing at the
/// output path (and an existing file there untouched). The audio is not cut to the video's length.
/// </remarks>
public sealed class Muxer
{
    readonly FFmpegBinaries _binaries;

    /// <summary>A muxer running the ffmpeg of <paramref name="binaries"/>, or <see cref="FFmpegBinaries.Default"/> when null.</summary>
    public Muxer(FFmpegBinaries? binaries = null) => _binaries = binaries ?? FFmpegBinaries.Default;

    /// <summary>ffmpeg's muxer name for the output's extension: .mp4, .mkv or .mov (any case).</summary>
    public static string ContainerFor(string outputPath) => Path.GetExtension(outputPath).ToLowerInvariant() switch
    {
        ".mp4" => "mp4",
        ".mkv" => "matroska",
        ".mov" => "mov",
        var other => throw new MediaException(outputPath,
            $"cannot write a '{(other.Length == 0 ? "(no extension)" : other)}' file; use .mp4, .mkv or .mov"),
    };

    /// <summary>
    /// What ffmpeg wrote must read back as the video with one audio track, about as long as the video:
    /// a truncated file (a full disk) fails this even when ffmpeg said nothing.
    /// </summary>
    async Task CheckWrittenAsync(string temporary, string outputPath, VideoProbe video, CancellationToken cancellationToken)
    {
        VideoProbe written;
        try
        {
            written = await VideoProbe.ProbeAsync(temporary, _binaries, cancellationToken).ConfigureAwait(false);
        }
        catch (MediaException e)
        {
            throw new MediaException(outputPath, $"ffmpeg wrote an unreadable file; is the disk full? ({e.Message})", e);
        }
        bool complete = written.HasVideo && written.HasAudio &&
            (video.DurationSeconds <= 0 || written.DurationSeconds >= video.DurationSeconds * 0.9 - 0.5);
        if (!complete)
            throw new MediaException(outputPath, System.FormattableString.Invariant(
                $"ffmpeg wrote an incomplete file ({written.DurationSeconds:0.##} s of {video.DurationSeconds:0.##} s, video {written.HasVideo}, audio {written.HasAudio}); is the disk full?"));
    }

    /// <summary>Writes <paramref name="videoPath"/> with <paramref name="wavPath"/> as its only audio track to <paramref name="outputPath"/>.</summary>
    public async Task MuxAsync(string videoPath, string wavPath, string outputPath, CancellationToken cancellationToken = default)
    {
        string container = ContainerFor(outputPath);
        var video = (await VideoProbe.ProbeAsync(videoPath, _binaries, cancellationToken).ConfigureAwait(false)).RequireVideo();
        var audio = await VideoProbe.ProbeAsync(wavPath, _binaries, cancellationToken).ConfigureAwait(false);
        if (!audio.HasAudio) throw new MediaException(wavPath, "has no audio stream");

        string fullOutput = Path.GetFullPath(outputPath);
        string folder = Path.GetDirectoryName(fullOutput)!;
        if (!Directory.Exists(folder)) throw new MediaException(outputPath, $"folder '{folder}' does not exist");
        if (Directory.Exists(fullOutput)) throw new MediaException(outputPath, "is a directory");
        string temporary = Path.Combine(folder, $".{Path.GetFileName(fullOutput)}.{Guid.NewGuid():N}.partial");

        List<string> arguments =
        [
            "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error", "-y",
            "-i", VideoProbe.FileArgument(videoPath), "-i", VideoProbe.FileArgument(wavPath),
            "-map", $"0:{video.VideoStreamIndex}", "-map", "1:a:0",
            "-c:v", "copy", "-c:a", "aac",
            "-map_metadata", "0",
            "-f", container,
        ];
        // moov atom first: the file plays while it downloads; costs one rewrite of the (small) header.
        if (container is "mp4" or "mov") arguments.AddRange(["-movflags", "+faststart"]);
        arguments.Add(VideoProbe.FileArgument(temporary));

        bool moved = false;
        try
        {
            await using (var ffmpeg = FFmpegProcess.Start(_binaries.FFmpegPath(videoPath), arguments, readOutput: false, videoPath))
            {
                int exitCode = await ffmpeg.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                // ffmpeg can exit 0 after a failed write ("No space left on device"): at -loglevel error
                // anything it prints is an error, so a file it complained about is never renamed into place.
                if (exitCode != 0 || ffmpeg.PrintedErrors)
                    throw new MediaException(outputPath,
                        $"cannot write '{videoPath}' with '{wavPath}' as its audio (ffmpeg: {ffmpeg.ErrorSummary(VideoProbe.FileArgument(temporary))})");
            }
            if (!File.Exists(temporary) || new FileInfo(temporary).Length == 0)
                throw new MediaException(outputPath, "ffmpeg finished without writing the file");
            await CheckWrittenAsync(temporary, outputPath, video, cancellationToken).ConfigureAwait(false);
            try
            {
                File.Move(temporary, fullOutput, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new MediaException(outputPath, $"cannot be written: {e.Message}", e);
            }
            moved = true;
        }
        finally
        {
            if (!moved)
            {
                try { File.Delete(temporary); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
        }
    }
}
