namespace V2Meow.Runtime.Codecs;

/// <summary>
/// RVQ codes in, waveform out: the codec component of a bundle, one implementation per <c>codec.kind</c>
/// (SPEC §9). Any family may name any kind; <c>CodecDecoders.Load</c> picks it. Owns its weights on
/// one backend; dispose it before the backend.
/// </summary>
public interface ICodecDecoder : IDisposable
{
    /// <summary>The codec.kind this decoder implements, e.g. "soundstream".</summary>
    string Kind { get; }
    /// <summary>Q: the quantizer levels the codec has; a decode may use the first 1 … Q.</summary>
    int Levels { get; }
    /// <summary>K: codes per level.</summary>
    int CodebookSize { get; }
    /// <summary>Samples per code frame.</summary>
    int Hop { get; }
    /// <summary>Audio samples per second of the waveform: frames per second × <see cref="Hop"/>.</summary>
    int SampleRate { get; }
    /// <summary>Frames of context either side that one output frame depends on: what a chunked decode must overlap.</summary>
    int ReceptiveFieldFrames { get; }

    /// <summary>
    /// Decodes codes [levels, frames], row-major, to the waveform [frames · hop]. The first
    /// <paramref name="levels"/> of the codec's Q are used (fewer give a coarser reconstruction).
    /// </summary>
    float[] Decode(ReadOnlySpan<int> codes, int levels);

    /// <summary>Decodes as <see cref="Decode"/> and returns every intermediate the goldens record (SPEC §10).</summary>
    IReadOnlyList<CodecTensor> Trace(ReadOnlySpan<int> codes, int levels);
}
