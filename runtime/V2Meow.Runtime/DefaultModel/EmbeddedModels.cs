namespace V2Meow.Runtime;

/// <summary>
/// The bundles compiled into this assembly, one per family at most (DefaultModel/README.md): the V2Meow default,
/// and a VMAs model when the build has one. Their resources are named <c>V2Meow.Embedded.FAMILY.FILE</c>.
/// </summary>
public static class EmbeddedModels
{
    static readonly Lazy<IReadOnlyList<EmbeddedModel>> Found = new(Discover);

    /// <summary>Every embedded model, the default first.</summary>
    public static IReadOnlyList<EmbeddedModel> All => Found.Value;

    /// <summary>The model used when none is named: the embedded V2Meow model.</summary>
    public static EmbeddedModel Default =>
        ForFamily("v2meow") ?? throw new InvalidOperationException("the default model is not embedded in this build");

    /// <summary>The embedded model of <paramref name="family"/> ("v2meow", "vmas"), or null when this build has none.</summary>
    public static EmbeddedModel? ForFamily(string family) => All.FirstOrDefault(m => m.Family == family);

    /// <summary>
    /// The embedded model <paramref name="name"/> means: "default", a family's name or a bundle's own name; null
    /// when it is none of them.
    /// </summary>
    public static EmbeddedModel? Named(string name) =>
        name == "default" ? ForFamily("v2meow") : All.FirstOrDefault(m => m.Family == name || m.Name == name);

    static IReadOnlyList<EmbeddedModel> Discover()
    {
        var assembly = typeof(EmbeddedModels).Assembly;
        var byFamily = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(EmbeddedModel.ResourceRoot, StringComparison.Ordinal))
            .GroupBy(n => n[EmbeddedModel.ResourceRoot.Length..].Split('.')[0])
            .Where(g => g.Any(n => n.EndsWith(".config.json", StringComparison.Ordinal)))
            .OrderBy(g => g.Key == "v2meow" ? 0 : 1).ThenBy(g => g.Key, StringComparer.Ordinal);
        return byFamily.Select(g => new EmbeddedModel(assembly, g.Key, g.Order(StringComparer.Ordinal).ToArray(), LabelOf(g.Key))).ToArray();
    }

    static string LabelOf(string family) => family switch
    {
        "v2meow" => "embedded default model (V2Meow, small, CPU-trained on rendered real instruments, not a general music model; see training/MODEL_CARD.md)",
        "vmas" => "embedded VMAs model (small, CPU-trained on rendered real instruments and videos made from them, not a general music model; see training/MODEL_CARD.md, \"VMAs\")",
        _ => $"embedded {family} model",
    };
}
