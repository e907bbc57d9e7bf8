using V2Meow.Loaders.Bundles;
using V2Meow.Runtime;
using V2Meow.Runtime.Backends.Cpu;
using V2Meow.Runtime.Codecs;
using V2Meow.Runtime.Codecs.Seanet;

namespace V2Meow.Tests.Generation;

public class ChunkedCodecTests
{
    [Theory]
    [InlineData("default")]
    [InlineData("odd")]
    public void ChunkedDecodeEqualsOneDecode(string set)
    {
        using var bundle = Bundle.Open(set == "default" ? DefaultModel.EnsureUnpacked() : GoldenSets.Bundle(set));
        using var backend = new CpuBackend();
        using var decoder = SeanetDecoder.Load(bundle, backend);
        var random = new Random(3);
        int levels = decoder.Levels, frames = 97;
        var codes = Enumerable.Range(0, levels * frames).Select(_ => random.Next(decoder.CodebookSize)).ToArray();

        float[] whole = decoder.Decode(codes, levels);
        float[] chunked = ChunkedCodec.Decode(decoder, codes, levels, chunkFrames: 20, CancellationToken.None);

        Assert.Equal(whole.Length, chunked.Length);
        // With the receptive field inside each chunk's context every output sample sees the same inputs; only
        // rounding may differ, where the CPU conv's SIMD body/remainder split falls at another time index.
        // A missing context would show as errors of order 1e-1 near chunk edges.
        float scale = whole.Max(MathF.Abs);
        for (int i = 0; i < whole.Length; i++)
            Assert.True(Math.Abs(whole[i] - chunked[i]) <= 1e-5f * scale, $"sample {i}: {chunked[i]} vs {whole[i]}");
    }
}
