using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Bundles.Vmas;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Codecs;
using V2Meow.Runtime.Verification;

namespace V2Meow.Runtime.Families.Vmas;

/// <summary>
/// VMAs (weights-spec/VMAS.md): frames → Hiera-style video encoder → MusicGen-style decoder over the delay
/// pattern → codec. Its bundles declare <c>"format": "vmas/1"</c>.
/// </summary>
public sealed class VmasFamily : ModelFamily
{
    /// <summary>The one instance <see cref="ModelFamilies"/> lists.</summary>
    internal static VmasFamily Instance { get; } = new();

    /// <summary>"vmas/1".</summary>
    public override string Format => VmasConfig.FormatName;
    /// <summary>"vmas".</summary>
    public override string Name => "vmas";

    /// <inheritdoc/>
    public override IMusicPipeline Load(string bundleFolder, IComputeBackend backend) => VmasPipeline.Load(this, bundleFolder, backend);

    /// <inheritdoc/>
    public override void Validate(string bundleFolder)
    {
        using var bundle = VmasBundle.Open(bundleFolder);
    }

    /// <summary>The verifiers of a vmas-golden/1 file: the video encoder, the decoder, sampling, generation and the codec.</summary>
    public override IGoldenVerifier CreateVerifier() => VmasGoldenVerifiers.Create();

    internal override LoadedCodec LoadCodec(string bundleFolder, IComputeBackend backend)
    {
        var bundle = VmasBundle.Open(bundleFolder);
        var c = bundle.Config;
        return LoadedCodec.Load(c.Name, bundle,
            () => CodecDecoders.Load(bundle.Folder, c.Codec, c.Decoder.Codebooks, c.Decoder.CodebookSize, c.SampleRate, bundle.Component("codec"), backend),
            () => bundle.HasComponent(CodecEncoderLayout.Component)
                ? CodecEncoders.Load(bundle.Folder, c.Codec, c.Decoder.Codebooks, c.Decoder.CodebookSize, c.SampleRate,
                    bundle.Component("codec"), bundle.Component(CodecEncoderLayout.Component), backend)
                : null);
    }
}
