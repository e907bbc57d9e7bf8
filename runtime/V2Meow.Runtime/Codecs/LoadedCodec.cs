namespace V2Meow.Runtime.Codecs;

/// <summary>
/// A bundle's codec on one backend, as a family loads it for <see cref="CodecModel"/>: the decoder, the encoder
/// when the bundle has one, and the open bundle their files came from. Owns all three; the backend stays the caller's.
/// </summary>
internal sealed class LoadedCodec(string modelName, IDisposable bundle, ICodecDecoder decoder, ICodecEncoder? encoder) : IDisposable
{
    /// <summary>The bundle's name field (config.json).</summary>
    public string ModelName { get; } = modelName;
    /// <summary>Codes in, waveform out.</summary>
    public ICodecDecoder Decoder { get; } = decoder;
    /// <summary>Waveform in, codes out; null when the bundle has no codec_encoder.</summary>
    public ICodecEncoder? Encoder { get; } = encoder;

    /// <summary>
    /// Loads the decoder, then the encoder when <paramref name="loadEncoder"/> gives one; on failure disposes what
    /// was loaded and the bundle.
    /// </summary>
    public static LoadedCodec Load(string modelName, IDisposable bundle, Func<ICodecDecoder> loadDecoder, Func<ICodecEncoder?> loadEncoder)
    {
        ICodecDecoder? decoder = null;
        try
        {
            decoder = loadDecoder();
            return new LoadedCodec(modelName, bundle, decoder, loadEncoder());
        }
        catch
        {
            decoder?.Dispose();
            bundle.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Encoder?.Dispose();
        Decoder.Dispose();
        bundle.Dispose();
    }
}
