using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Features;

namespace V2Meow.Runtime.Transformer;

/// <summary>
/// What an encoder reads for one window (SPEC §6.6): every stream of the stage's config, by name, and the
/// style vector when style_dim > 0.
/// </summary>
public sealed record EncoderInput(IReadOnlyDictionary<string, StreamFeatures> Streams, float[]? Style = null)
{
    /// <summary>Encoder positions: each dense frame, each token, and one for the style.</summary>
    public int Length(TransformerConfig config) =>
        config.Streams.Sum(s => s.IsDense ? Streams[s.Name].Frames : Streams[s.Name].Tokens!.Length) + (config.StyleDim > 0 ? 1 : 0);

    /// <summary>Checks the input against the stage's streams; the message names what does not fit.</summary>
    public void Validate(TransformerConfig config, string stage)
    {
        foreach (var s in config.Streams)
        {
            if (!Streams.TryGetValue(s.Name, out var features))
                throw new ArgumentException($"{stage}: encoder stream '{s.Name}' is missing; the stage reads {string.Join(", ", config.Streams.Select(x => x.Name))}");
            if (features.Stream.IsDense != s.IsDense)
                throw new ArgumentException($"{stage}: stream '{s.Name}' must be {(s.IsDense ? "dense" : "tokens")}");
            if (s.IsDense && features.DenseValues.Length != features.Frames * s.Dim)
                throw new ArgumentException($"{stage}: stream '{s.Name}' must have {s.Dim} values per frame");
            if (!s.IsDense && features.Tokens!.Any(id => id < 0 || id >= s.Vocab))
                throw new ArgumentException($"{stage}: stream '{s.Name}' holds an id outside [0, {s.Vocab})");
            if (features.Frames == 0) throw new ArgumentException($"{stage}: stream '{s.Name}' holds no frames");
        }
        foreach (var name in Streams.Keys)
            if (config.Streams.All(s => s.Name != name))
                throw new ArgumentException($"{stage}: the encoder has no stream '{name}'");
        if (config.StyleDim > 0 && (Style is null || Style.Length != config.StyleDim))
            throw new ArgumentException($"{stage}: expected a style vector of {config.StyleDim} values, found {Style?.Length.ToString() ?? "none"}");
        if (config.StyleDim == 0 && Style is not null)
            throw new ArgumentException($"{stage}: this encoder has no style input (style_dim 0)");
    }
}
