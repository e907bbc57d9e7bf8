using System.Globalization;
using System.Text.Json;
using V2Meow.Loaders.Audio;
using V2Meow.Loaders.Video;

namespace V2Meow.Tests.Video;

[Collection(MediaCollection.Name)]
public class MuxerTests(TestMedia media)
{
    [Theory]
    [InlineData("scored.mp4")]
    [InlineData("scored.mkv")]
    [InlineData("scored.MOV")]
    public async Task ReplacesTheAudioWithTheWavAndCopiesTheVideo(string name)
    {
        using var dir = new TempDirectory();
        string output = dir.File(name);
        await new Muxer().MuxAsync(media.WithAudio, media.Wav, output);

        var muxed = await Streams.ProbeAsync(output);
        var input = await Streams.ProbeAsync(media.WithAudio);
        Assert.Equal(["video", "audio"], muxed.Types);
        Assert.Equal("aac", muxed.Codecs[1]);
        // Stream copy: the same codec and the same coded frames.
        Assert.Equal(input.Codecs[0], muxed.Codecs[0]);
        Assert.Equal(input.VideoPackets, muxed.VideoPackets);

        // The music lasts as long as the WAV, give or take one AAC frame (1024 samples), not the old track's 2 s.
        double frame = 1024.0 / TestMedia.WavSampleRate;
        Assert.InRange(muxed.AudioSeconds, TestMedia.WavSeconds - frame, TestMedia.WavSeconds + frame);
        Assert.Equal([name], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task KeepsTheRotationOfAVideoWithoutAudio()
    {
        using var dir = new TempDirectory();
        string output = dir.File("rotated-scored.mp4");
        await new Muxer().MuxAsync(media.Rotated, media.Wav, output);
        var probe = await VideoProbe.ProbeAsync(output);
        Assert.True(probe.HasAudio);
        Assert.Equal(90, probe.Rotation);
    }

    [Fact]
    public async Task AFailedMuxLeavesNothingAtTheOutputPath()
    {
        using var dir = new TempDirectory();
        string output = dir.File("scored.mp4");
        // The mp4 muxer has no tag for FFV1: ffmpeg fails after it has started writing.
        var e = await Assert.ThrowsAsync<MediaException>(() => new Muxer().MuxAsync(media.Ffv1, media.Wav, output));
        Assert.StartsWith($"{output}: cannot write '{media.Ffv1}' with '{media.Wav}' as its audio (ffmpeg: ", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public async Task AFailedMuxLeavesAnExistingFileAlone()
    {
        using var dir = new TempDirectory();
        string output = dir.File("scored.mp4");
        await File.WriteAllTextAsync(output, "previous");
        await Assert.ThrowsAsync<MediaException>(() => new Muxer().MuxAsync(media.Ffv1, media.Wav, output));
        Assert.Equal("previous", await File.ReadAllTextAsync(output));
        Assert.Single(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public async Task InputErrorsAreMediaExceptionsAndWriteNothing()
    {
        using var dir = new TempDirectory();
        string output = dir.File("scored.mp4");
        var notVideo = await Assert.ThrowsAsync<MediaException>(() => new Muxer().MuxAsync(media.NotAVideo, media.Wav, output));
        Assert.StartsWith($"{media.NotAVideo}: not a video file", notVideo.Message);
        var audioOnly = await Assert.ThrowsAsync<MediaException>(() => new Muxer().MuxAsync(media.AudioOnly, media.Wav, output));
        Assert.Equal($"{media.AudioOnly}: has no video stream (audio only)", audioOnly.Message);
        var silent = await Assert.ThrowsAsync<MediaException>(() => new Muxer().MuxAsync(media.WithAudio, media.OddSize, output));
        Assert.Equal($"{media.OddSize}: has no audio stream", silent.Message);
        var missingWav = await Assert.ThrowsAsync<MediaException>(() => new Muxer().MuxAsync(media.WithAudio, dir.File("none.wav"), output));
        Assert.Equal($"{dir.File("none.wav")}: file not found", missingWav.Message);
        var avi = await Assert.ThrowsAsync<MediaException>(() => new Muxer().MuxAsync(media.WithAudio, media.Wav, dir.File("scored.avi")));
        Assert.Equal($"{dir.File("scored.avi")}: cannot write a '.avi' file; use .mp4, .mkv or .mov", avi.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    /// <summary>One ffprobe call's view of a muxed file: stream types and codecs, video packets, audio length.</summary>
    sealed record Streams(string[] Types, string[] Codecs, int VideoPackets, double AudioSeconds)
    {
        /// <summary>
        /// <see cref="AudioSeconds"/> is how long the music plays under the picture: the end of the last
        /// audio packet minus the start of the video. The AAC encoder's 1024 priming samples come before
        /// the first frame (an edit list hides them in MP4/MOV; Matroska starts the video 1024 samples
        /// late instead), so this is the WAV's length plus the encoder's end padding of under one frame.
        /// </summary>
        public static async Task<Streams> ProbeAsync(string path)
        {
            string json = await TestMedia.FfprobeJson(path,
                "stream=index,codec_type,codec_name,start_time:packet=stream_index,pts_time,duration_time");
            using var document = JsonDocument.Parse(json);
            var streams = document.RootElement.GetProperty("streams").EnumerateArray().ToArray();
            string[] types = streams.Select(s => s.GetProperty("codec_type").GetString()!).ToArray();
            string[] codecs = streams.Select(s => s.GetProperty("codec_name").GetString()!).ToArray();
            int video = Array.IndexOf(types, "video"), audio = Array.IndexOf(types, "audio");
            double videoStart = Parse(streams[video].GetProperty("start_time"));

            int videoPackets = 0;
            double audioEnd = 0;
            foreach (var packet in document.RootElement.GetProperty("packets").EnumerateArray())
            {
                int stream = packet.GetProperty("stream_index").GetInt32();
                if (stream == video) videoPackets++;
                else if (stream == audio)
                    audioEnd = Math.Max(audioEnd, Parse(packet.GetProperty("pts_time")) + Parse(packet.GetProperty("duration_time")));
            }
            return new Streams(types, codecs, videoPackets, audio < 0 ? 0 : audioEnd - videoStart);
        }

        static double Parse(JsonElement value) => double.Parse(value.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture);
    }
}
