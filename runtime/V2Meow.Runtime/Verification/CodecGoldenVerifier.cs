using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Codecs;

namespace V2Meow.Runtime.Verification;

/// <summary>
/// The codec against its goldens (SPEC §10): codec.input.codes go in; codec.latent, codec.in_conv,
/// codec.blocks.{b} and codec.waveform are compared, each by max absolute error and by relative error
/// max|a − b| / max(max|b|, 1e-6), b the golden (<see cref="TensorComparison"/>). A codec.* tensor the
/// decoder does not produce, or one it produces that the golden lacks, is a format error naming it.
/// </summary>
public sealed class CodecGoldenVerifier : IGoldenComponentVerifier
{
    /// <summary>The golden tensor of input codes, [levels, frames].</summary>
    public const string CodesName = "codec.input.codes";

    /// <summary>"codec".</summary>
    public string Component => "codec";

    /// <inheritdoc/>
    public IReadOnlyList<TensorComparison> Verify(GoldenContext context)
    {
        using var decoder = CodecDecoders.Load(context.Bundle, context.Backend);
        return Verify(decoder, context.Golden, context.Tolerance);
    }

    /// <summary>
    /// Decodes the golden's codes with <paramref name="decoder"/> and compares every codec.* tensor at <paramref name="tolerance"/>.
    /// </summary>
    public static IReadOnlyList<TensorComparison> Verify(ICodecDecoder decoder, SafetensorsFile golden, double tolerance)
    {
        var codesView = golden.Get(CodesName);
        if (codesView.Shape.Length != 2 || !DTypes.IsInteger(codesView.DType))
            throw new SafetensorsFormatException(golden.Path, CodesName,
                $"expected I32 [levels, frames], found {DTypes.Name(codesView.DType)} {codesView.Entry.ShapeText}");
        int[] codes = codesView.ToInt32();
        var trace = decoder.Trace(codes, checked((int)codesView.Shape[0]));

        // The codes are the input: listed (trivially exact) so the report accounts for every codec.* tensor.
        // Any out-of-range code has already failed the decode above with the level and frame named.
        var results = new List<TensorComparison> { TensorComparison.Integers(CodesName, codesView.Entry.ShapeText, codes, codes) };
        var produced = new HashSet<string>(StringComparer.Ordinal) { CodesName };
        foreach (var tensor in trace)
        {
            if (!golden.Contains(tensor.Name))
                throw new SafetensorsFormatException(golden.Path, tensor.Name, "missing; a golden file records every codec intermediate (SPEC §10)");
            var expected = golden.Get(tensor.Name, tensor.Shape.Select(d => (long)d).ToArray(), DType.F32).ToFloat32();
            results.Add(TensorComparison.Floats(tensor.Name, tensor.ShapeText, tensor.Values, expected, tolerance));
            produced.Add(tensor.Name);
        }
        foreach (var entry in golden.Tensors)
            if (entry.Name.StartsWith("codec.", StringComparison.Ordinal) && !produced.Contains(entry.Name))
                throw new SafetensorsFormatException(golden.Path, entry.Name,
                    "the codec produces no tensor of this name (SPEC §10 names codec.input.codes, codec.latent, codec.in_conv, codec.blocks.{b}, codec.waveform)");
        return results;
    }
}
