using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Codecs.Seanet;

namespace V2Meow.Runtime.Codecs;

/// <summary>
/// The codec encoders this build runs, by <c>codec.kind</c> (SPEC §9.3): the optional codec_encoder component of a
/// bundle of either family. A new kind adds its encoder here beside its decoder in <see cref="CodecDecoders"/>.
/// </summary>
public static class CodecEncoders
{
    /// <summary>Uploads the encoder of an opened (hence validated) v2meow/1 bundle; a bundle without one is a <see cref="BundleException"/>.</summary>
    public static ICodecEncoder Load(Bundle bundle, IComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        if (!bundle.HasComponent(CodecEncoderLayout.Component)) throw Missing(bundle.Folder);
        return Load(bundle.Folder, bundle.Config.Codec, bundle.Config.TotalLevels, bundle.Config.Tokens.CodebookSize,
            bundle.Config.Rates.SampleRate, bundle.Component("codec"), bundle.Component(CodecEncoderLayout.Component), backend);
    }

    /// <summary>
    /// Uploads a validated encoder file beside its validated codec file (whose codebooks it searches), of
    /// <paramref name="levels"/> levels of <paramref name="codebookSize"/> codes as its family's config says.
    /// </summary>
    public static ICodecEncoder Load(string bundleFolder, CodecConfig codec, int levels, int codebookSize, int sampleRate,
        SafetensorsFile codecFile, SafetensorsFile encoderFile, IComputeBackend backend) => codec.Kind switch
        {
            SeanetDecoder.SoundStreamKind or SeanetDecoder.EncodecKind =>
                SeanetEncoder.Load(codec, levels, codebookSize, sampleRate, codecFile, encoderFile, backend),
            var kind => throw new BundleException(
                $"{Path.Combine(bundleFolder, "config.json")}: codec.kind '{kind}' is not one this build encodes ({string.Join(", ", CodecDecoders.Kinds)})"),
        };

    /// <summary>The error of a bundle with no encoder: which file is missing and what it is.</summary>
    public static BundleException Missing(string bundleFolder) => new(
        $"{bundleFolder}: the bundle has no codec encoder ({CodecEncoderLayout.Component}.safetensors, SPEC §9.3), so it can decode codes but not make them from audio");
}
