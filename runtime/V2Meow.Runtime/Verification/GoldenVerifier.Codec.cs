using V2Meow.Runtime.Codec;

namespace V2Meow.Runtime.Verification;

/// <summary>Registers the codec's verifier, so <c>v2meow verify</c> checks codec.* tensors too.</summary>
public sealed partial class GoldenVerifier
{
    static partial void AddCodecVerifier(List<IGoldenComponentVerifier> verifiers) => verifiers.Add(new CodecGoldenVerifier());
}
