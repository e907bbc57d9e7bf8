
namespace V2Meow.Runtime.Codecs;

/// <summary>
/// Decodes long code sequences in chunks so memory stays bounded by the chunk, not the video: each chunk
/// is decoded with enough neighbouring frames for the decoder's receptive field, and only its own samples
/// are kept, so the result equals one decode of the whole sequence.
/// </summary>
internal static class ChunkedCodec
{
    /// <summary>Waveform of codes [levels, frames] (row-major), decoded <paramref name="chunkFrames"/> frames at a time.</summary>
    public static float[] Decode(ICodecDecoder decoder, int[] codes, int levels, int chunkFrames, CancellationToken cancellationToken)
    {
        int frames = codes.Length / levels;
        int context = decoder.ReceptiveFieldFrames;
        // A decoder with state across the whole sequence (an LSTM) has no finite context: one decode.
        if (frames <= chunkFrames || context >= frames) return decoder.Decode(codes, levels);

        int hop = decoder.Hop;
        var waveform = new float[frames * hop];
        for (int start = 0; start < frames; start += chunkFrames)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int end = Math.Min(frames, start + chunkFrames);
            int from = Math.Max(0, start - context), to = Math.Min(frames, end + context);
            var chunk = new int[levels * (to - from)];
            for (int q = 0; q < levels; q++)
                Array.Copy(codes, q * frames + from, chunk, q * (to - from), to - from);
            float[] part = decoder.Decode(chunk, levels);
            Array.Copy(part, (start - from) * hop, waveform, start * hop, (end - start) * hop);
        }
        return waveform;
    }
}
