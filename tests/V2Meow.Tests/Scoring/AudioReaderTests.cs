using V2Meow.Loaders.Audio;
using V2Meow.Loaders.Video;
using V2Meow.Tests.Video;

namespace V2Meow.Tests.Scoring;

/// <summary>The scorer's audio: a WAV at the rate read here, anything else through ffmpeg, the same numbers either way.</summary>
[Collection(MediaCollection.Name)]
public class AudioReaderTests(TestMedia media)
{
    [Fact]
    public async Task AWavAtTheRateReadsAsFfmpegDecodesIt()
    {
        using var dir = new TempDirectory();
        string flac = dir.File("music.flac");
        await TestMedia.Ffmpeg($"-i \"{media.Wav}\" -c:a flac \"{flac}\"");
        var direct = await AudioReader.ReadMonoAsync(media.Wav, TestMedia.WavSampleRate);
        var decoded = await AudioReader.ReadMonoAsync(flac, TestMedia.WavSampleRate);
        Assert.Equal((int)(TestMedia.WavSeconds * TestMedia.WavSampleRate), direct.Length);
        // Lossless both ways, and both divide 16-bit samples by 32768: equal to the bit.
        Assert.Equal(decoded, direct);
    }

    [Fact]
    public async Task AnotherRateIsResampled()
    {
        var samples = await AudioReader.ReadMonoAsync(media.Wav, 8000);
        Assert.InRange(samples.Length, TestMedia.WavSeconds * 8000 - 2, TestMedia.WavSeconds * 8000 + 2);
    }

    [Fact]
    public async Task TheAudioOfAVideoIsRead()
    {
        var samples = await AudioReader.ReadMonoAsync(media.WithAudio, 16000);
        Assert.InRange(samples.Length, 1.9 * 16000, 2.2 * 16000);
        Assert.True(samples.Max() > 0.1);
    }

    [Fact]
    public async Task AVideoWithoutAudioIsOneError()
    {
        var e = await Assert.ThrowsAsync<MediaException>(() => AudioReader.ReadMonoAsync(media.Short, 16000));
        Assert.Contains("has no audio stream", e.Message);
    }
}
