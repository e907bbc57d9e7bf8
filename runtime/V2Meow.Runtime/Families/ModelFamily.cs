using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Codecs;
using V2Meow.Runtime.Verification;

namespace V2Meow.Runtime;

/// <summary>
/// One model family this build runs (SPEC §1): the <c>format</c> its bundles declare and what the library
/// and the CLI need from it. A new family is a folder under Families/ holding a subclass of this, its
/// pipeline and the parts no other family has, plus one line in <see cref="ModelFamilies"/>.
/// </summary>
public abstract class ModelFamily
{
    /// <summary>config.json's format for this family, e.g. "v2meow/1".</summary>
    public abstract string Format { get; }

    /// <summary>The family's short name, as <c>--model</c> and messages use it, e.g. "v2meow".</summary>
    public abstract string Name { get; }

    /// <summary>Opens the bundle (validating every tensor) and loads it onto <paramref name="backend"/>, which the pipeline then owns.</summary>
    public abstract IMusicPipeline Load(string bundleFolder, IComputeBackend backend);

    /// <summary>Opens and validates the bundle against the family's SPEC sections, then closes it: what <c>inspect</c> checks.</summary>
    public abstract void Validate(string bundleFolder);

    /// <summary>Every verifier of the family's golden files (SPEC §10), for <c>verify</c>.</summary>
    public abstract IGoldenVerifier CreateVerifier();

    /// <summary>
    /// Opens the bundle (validating every tensor) and loads its codec alone onto <paramref name="backend"/>: the
    /// decoder, and the encoder when the bundle has one (SPEC §9.3). What <see cref="CodecModel"/> runs.
    /// </summary>
    internal abstract LoadedCodec LoadCodec(string bundleFolder, IComputeBackend backend);

    /// <summary>The family's <see cref="Format"/>.</summary>
    public override string ToString() => Format;
}
