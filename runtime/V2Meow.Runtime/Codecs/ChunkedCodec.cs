
namespace V2Meow.Runtime.Codecs;

/// <summary>
/// Decodes long code sequences, and encodes long recordings, in chunks so memory stays bounded by the chunk, not
/// the video: each chunk is run with enough neighbouring frames for the receptive field, and only its own samples
/// (or codes) are kept, so the result equals one run over the whole sequence up to float32 rounding.
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

    /// <summary>
    /// Codes [levels, ⌈N / hop⌉] of the waveform [N], encoded <paramref name="chunkFrames"/> frames at a time, each
    /// chunk's samples read with the encoder's receptive field either side.
    /// </summary>
    public static int[] Encode(ICodecEncoder encoder, ReadOnlySpan<float> waveform, int levels, int chunkFrames, CancellationToken cancellationToken)
    {
        int hop = encoder.Hop;
        int frames = checked((int)((waveform.Length + (long)hop - 1) / hop));
        int context = encoder.ReceptiveFieldFrames;
        // An encoder with state across the whole sequence (an LSTM) has no finite context: one encode.
        if (frames <= chunkFrames || context >= frames) return encoder.Encode(waveform, levels);

        var codes = new int[levels * frames];
        for (int start = 0; start < frames; start += chunkFrames)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int end = Math.Min(frames, start + chunkFrames);
            int from = Math.Max(0, start - context), to = Math.Min(frames, end + context);
            // Up to the end of frame to − 1, or of the waveform: the encoder pads the last frame as one encode would.
            int first = from * hop, last = (int)Math.Min(waveform.Length, (long)to * hop);
            int[] part = encoder.Encode(waveform[first..last], levels);
            for (int q = 0; q < levels; q++)
                Array.Copy(part, q * (to - from) + (start - from), codes, q * frames + start, end - start);
        }
        return codes;
    }
}
