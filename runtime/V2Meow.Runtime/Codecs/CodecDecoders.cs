using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Codecs.Seanet;

namespace V2Meow.Runtime.Codecs;

/// <summary>
/// The codec kinds this build runs, by <c>codec.kind</c> (SPEC §3.10, VMAS.md §9). A new kind is a folder
/// beside Seanet/ with its decoder, plus one line here and its name in the config readers.
/// </summary>
public static class CodecDecoders
{
    /// <summary>Every codec.kind this build can decode.</summary>
    public static IReadOnlyList<string> Kinds { get; } = [SeanetDecoder.SoundStreamKind, SeanetDecoder.EncodecKind];

    /// <summary>Uploads the codec component of an opened (hence validated) v2meow/1 bundle to <paramref name="backend"/>.</summary>
    public static ICodecDecoder Load(Bundle bundle, IComputeBackend backend) =>
        Load(bundle.Folder, bundle.Config.Codec, bundle.Config.TotalLevels, bundle.Config.Tokens.CodebookSize,
            bundle.Config.Rates.SampleRate, bundle.Component("codec"), backend);

    /// <summary>
    /// Uploads a validated codec file, of <paramref name="levels"/> levels of <paramref name="codebookSize"/>
    /// codes as its family's config says, to <paramref name="backend"/>.
    /// </summary>
    public static ICodecDecoder Load(string bundleFolder, CodecConfig codec, int levels, int codebookSize, int sampleRate,
        SafetensorsFile file, IComputeBackend backend) => codec.Kind switch
        {
            SeanetDecoder.SoundStreamKind or SeanetDecoder.EncodecKind => SeanetDecoder.Load(codec, levels, codebookSize, sampleRate, file, backend),
            var kind => throw new BundleException(
                $"{Path.Combine(bundleFolder, "config.json")}: codec.kind '{kind}' is not one this build decodes ({string.Join(", ", Kinds)})"),
        };
}
