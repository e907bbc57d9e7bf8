using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Codecs;
using V2Meow.Runtime.Generation;
using V2Meow.Runtime.Verification;

namespace V2Meow.Runtime.Families.V2Meow;

/// <summary>
/// V2Meow (weights-spec/SPEC.md): visual features → semantic tokens → coarse codes → fine codes → codec, each
/// stage a T5-style transformer over sliding windows. Its bundles declare <c>"format": "v2meow/1"</c>.
/// </summary>
public sealed class V2MeowFamily : ModelFamily
{
    /// <summary>The one instance <see cref="ModelFamilies"/> lists.</summary>
    internal static V2MeowFamily Instance { get; } = new();

    /// <summary>"v2meow/1".</summary>
    public override string Format => BundleConfig.FormatName;
    /// <summary>"v2meow".</summary>
    public override string Name => "v2meow";

    /// <inheritdoc/>
    public override IMusicPipeline Load(string bundleFolder, IComputeBackend backend) => V2MeowPipeline.Load(this, bundleFolder, backend);

    /// <inheritdoc/>
    public override void Validate(string bundleFolder)
    {
        // Every tensor of every component, and the optional text tower as generate loads it.
        using var bundle = Bundle.Open(bundleFolder);
        TextTower.Load(bundle.Folder, bundle.Config);
    }

    /// <summary>The verifiers of a v2meow/1 golden file: the three stages, sampling, generation, the codec and its encoder.</summary>
    public override IGoldenVerifier CreateVerifier() => GoldenVerifier.CreateDefault();

    internal override LoadedCodec LoadCodec(string bundleFolder, IComputeBackend backend)
    {
        var bundle = Bundle.Open(bundleFolder);
        return LoadedCodec.Load(bundle.Config.Name, bundle,
            () => CodecDecoders.Load(bundle, backend),
            () => bundle.HasComponent(CodecEncoderLayout.Component) ? CodecEncoders.Load(bundle, backend) : null);
    }
}
