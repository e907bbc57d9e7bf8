using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Codecs;

namespace V2Meow.Runtime.Verification;

/// <summary>
/// The codec's encoder against its goldens (SPEC §9.3, §10): codec_encoder.input.waveform goes in;
/// codec_encoder.in_conv, codec_encoder.blocks.{b}, codec_encoder.lstm (encodec) and codec_encoder.latent are
/// compared as floats. codec_encoder.codes must match exactly the codes the encoder's search picks from the
/// golden's own float32 latent: the search's arithmetic is fixed (SPEC §9.3), so it is exact given its input,
/// while the runtime's latent differs from PyTorch's by float32 rounding and could tip a near-tie. A
/// codec_encoder.* tensor the encoder does not account for is a format error naming it.
/// </summary>
public sealed class CodecEncoderGoldenVerifier : IGoldenComponentVerifier
{
    /// <summary>The golden tensor of the input waveform, [T · hop].</summary>
    public const string WaveformName = "codec_encoder.input.waveform";
    /// <summary>The golden tensor of the latent the search reads, [D, T].</summary>
    public const string LatentName = "codec_encoder.latent";
    /// <summary>The golden tensor of the codes, I32 [Q, T].</summary>
    public const string CodesName = "codec_encoder.codes";

    /// <summary>"codec_encoder".</summary>
    public string Component => CodecEncoderLayout.Component;

    /// <inheritdoc/>
    public IReadOnlyList<TensorComparison> Verify(GoldenContext context)
    {
        if (!context.Bundle.HasComponent(CodecEncoderLayout.Component))
            throw new SafetensorsFormatException(context.Golden.Path, null,
                $"holds codec_encoder.* tensors, but {context.Bundle.Folder} has no {CodecEncoderLayout.Component}.safetensors to check them with");
        using var encoder = CodecEncoders.Load(context.Bundle, context.Backend);
        return Verify(encoder, context.Golden, context.Tolerance);
    }

    /// <summary>Encodes the golden's waveform with <paramref name="encoder"/> and compares every codec_encoder.* tensor.</summary>
    public static IReadOnlyList<TensorComparison> Verify(ICodecEncoder encoder, SafetensorsFile golden, double tolerance)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(golden);
        var waveform = golden.Get(WaveformName);
        if (waveform.Shape.Length != 1 || waveform.DType != DType.F32 || waveform.Shape[0] % encoder.Hop != 0)
            throw new SafetensorsFormatException(golden.Path, WaveformName,
                $"expected F32 [frames · {encoder.Hop}], found {DTypes.Name(waveform.DType)} {waveform.Entry.ShapeText}");
        var trace = encoder.Trace(waveform.ToFloat32());

        var results = new List<TensorComparison>();
        var produced = new HashSet<string>(StringComparer.Ordinal) { WaveformName, CodesName };
        foreach (var tensor in trace)
        {
            if (!golden.Contains(tensor.Name))
                throw new SafetensorsFormatException(golden.Path, tensor.Name, "missing; a golden file records every encoder intermediate (SPEC §10)");
            var expected = golden.Get(tensor.Name, tensor.Shape.Select(d => (long)d).ToArray(), DType.F32).ToFloat32();
            results.Add(TensorComparison.Floats(tensor.Name, tensor.ShapeText, tensor.Values, expected, tolerance));
            produced.Add(tensor.Name);
        }

        var codesView = golden.Get(CodesName);
        var latent = golden.Get(LatentName);
        if (codesView.Shape.Length != 2 || !DTypes.IsInteger(codesView.DType) || codesView.Shape[1] != latent.Shape[^1])
            throw new SafetensorsFormatException(golden.Path, CodesName,
                $"expected I32 [levels, {latent.Shape[^1]}], found {DTypes.Name(codesView.DType)} {codesView.Entry.ShapeText}");
        int levels = checked((int)codesView.Shape[0]);
        if (levels < 1 || levels > encoder.Levels)
            throw new SafetensorsFormatException(golden.Path, CodesName, $"{levels} levels; the codec has {encoder.Levels}");
        int[] codes = encoder.Quantize(latent.ToFloat32(), levels);
        results.Add(TensorComparison.Integers(CodesName, codesView.Entry.ShapeText, codes, codesView.ToInt32()));

        foreach (var entry in golden.Tensors)
            if (entry.Name.StartsWith(CodecEncoderLayout.Component + ".", StringComparison.Ordinal) && !produced.Contains(entry.Name))
                throw new SafetensorsFormatException(golden.Path, entry.Name,
                    "the codec encoder produces no tensor of this name (SPEC §10 names codec_encoder.input.waveform, codec_encoder.in_conv, " +
                    "codec_encoder.blocks.{b}, codec_encoder.lstm, codec_encoder.latent, codec_encoder.codes)");
        return results;
    }
}
