using System.Buffers.Binary;
using System.Text;
using V2Meow.Loaders.Audio;
using V2Meow.Loaders.Video;

namespace V2Meow.Tests.Codec;

public class WavWriterTests
{
    [Fact]
    public void WritesMono16BitPcmThatReadsBack()
    {
        using var dir = new TempDirectory();
        string path = dir.File("out.wav");
        float[] samples = [0f, 0.5f, -0.5f, 1f, -1f, 1.5f, -2f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-6f];
        WavWriter.Write(path, samples, 16000);

        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(44 + 2 * samples.Length, bytes.Length);
        Assert.Equal("RIFF", Encoding.ASCII.GetString(bytes, 0, 4));
        Assert.Equal((uint)(bytes.Length - 8), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)));
        Assert.Equal("WAVE", Encoding.ASCII.GetString(bytes, 8, 4));
        Assert.Equal("fmt ", Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(16u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(16)));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(20)));      // PCM
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(22)));      // mono
        Assert.Equal(16000u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(24))); // sample rate
        Assert.Equal(32000u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(28))); // byte rate
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(32)));      // block align
        Assert.Equal(16, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(34)));     // bits per sample
        Assert.Equal("data", Encoding.ASCII.GetString(bytes, 36, 4));
        Assert.Equal((uint)(2 * samples.Length), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(40)));

        var pcm = Enumerable.Range(0, samples.Length)
            .Select(i => BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(44 + 2 * i))).ToArray();
        // Clipped to [−1, 1], scaled by 32767, rounded to nearest (ties to even); NaN is silence.
        Assert.Equal(new short[] { 0, 16384, -16384, 32767, -32767, 32767, -32767, 0, 32767, -32767, 0 }, pcm);

        // Nothing left behind but the file itself.
        Assert.Equal(new[] { path }, Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void ReplacesAnExistingFileAndWritesLongSignals()
    {
        using var dir = new TempDirectory();
        string path = dir.File("music.wav");
        File.WriteAllText(path, "old");
        // Longer than one write buffer (4096 samples), at the tiny codec's rate.
        var samples = Enumerable.Range(0, 10_001).Select(i => MathF.Sin(i * 0.01f)).ToArray();
        WavWriter.Write(path, samples, 200);
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(200u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(24)));
        Assert.Equal((uint)(2 * samples.Length), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(40)));
        Assert.Equal(WavWriter.ToPcm16(samples[^1]), BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(bytes.Length - 2)));
    }

    [Fact]
    public void AnUnwritablePathIsAMediaErrorAndLeavesNothing()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "missing-folder", "out.wav");
        var e = Assert.Throws<MediaException>(() => WavWriter.Write(path, [0f], 16000));
        Assert.Contains("out.wav", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void ASampleRateBelowOneIsRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => WavWriter.Write(new MemoryStream(), [0f], 0));
}
