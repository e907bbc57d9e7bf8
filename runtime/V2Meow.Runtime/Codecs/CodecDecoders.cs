using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Codecs.SoundStream;

namespace V2Meow.Runtime.Codecs;

/// <summary>
/// The codec kinds this build runs, by <c>codec.kind</c> (SPEC §3.10). A new kind is a folder beside
/// SoundStream/ with its decoder, plus one line here and its name in the config readers.
/// </summary>
public static class CodecDecoders
{
    /// <summary>Every codec.kind this build can decode.</summary>
    public static IReadOnlyList<string> Kinds { get; } = [SoundStreamDecoder.KindName];

    /// <summary>Uploads the codec component of an opened (hence validated) bundle to <paramref name="backend"/>.</summary>
    public static ICodecDecoder Load(Bundle bundle, IComputeBackend backend) => bundle.Config.Codec.Kind switch
    {
        SoundStreamDecoder.KindName => SoundStreamDecoder.Load(bundle, backend),
        var kind => throw new BundleException(
            $"{Path.Combine(bundle.Folder, "config.json")}: codec.kind '{kind}' is not one this build decodes ({string.Join(", ", Kinds)})"),
    };
}
