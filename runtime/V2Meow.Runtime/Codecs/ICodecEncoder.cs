namespace V2Meow.Runtime.Codecs;

/// <summary>
/// Waveform in, RVQ codes out: the bundle's optional codec_encoder component (SPEC §9.3), the inverse of the
/// codec's <see cref="ICodecDecoder"/>. Owns its weights on one backend; dispose it before the backend.
/// </summary>
public interface ICodecEncoder : IDisposable
{
    /// <summary>The codec.kind whose encoder this is, e.g. "soundstream".</summary>
    string Kind { get; }
    /// <summary>Q: the quantizer levels the codec has; an encode may ask for the first 1 … Q.</summary>
    int Levels { get; }
    /// <summary>K: codes per level.</summary>
    int CodebookSize { get; }
    /// <summary>Samples per code frame.</summary>
    int Hop { get; }
    /// <summary>Audio samples per second the encoder reads: frames per second × <see cref="Hop"/>.</summary>
    int SampleRate { get; }
    /// <summary>Frames of context either side that one frame's codes depend on: what a chunked encode must overlap.</summary>
    int ReceptiveFieldFrames { get; }

    /// <summary>
    /// Codes [levels, ⌈N / hop⌉], row-major, of the waveform [N] at <see cref="SampleRate"/> (zero-padded on the
    /// right to whole frames): the first <paramref name="levels"/> of the codec's Q.
    /// </summary>
    int[] Encode(ReadOnlySpan<float> waveform, int levels);

    /// <summary>Codes [levels, T] of a latent [D, T] as the encoder's last step chooses them (SPEC §9.3's search).</summary>
    int[] Quantize(ReadOnlySpan<float> latent, int levels);

    /// <summary>
    /// Encodes as <see cref="Encode"/> and returns every float intermediate the goldens record (SPEC §10):
    /// codec_encoder.in_conv, codec_encoder.blocks.{b}, codec_encoder.lstm (encodec), codec_encoder.latent.
    /// </summary>
    IReadOnlyList<CodecTensor> Trace(ReadOnlySpan<float> waveform);
}
