namespace V2Meow.Loaders.Bundles;

/// <summary>
/// The three transformer stages of a v2meow/1 bundle (SPEC §1): visual features → semantic tokens, semantic →
/// coarse codes, coarse → fine codes. Each is also the name of its component file, its config.json section
/// and its golden tensors' prefix, which <see cref="StageIds.Name"/> gives.
/// </summary>
public enum StageId
{
    /// <summary>Visual features (and optional style) → semantic tokens.</summary>
    Stage1 = 1,
    /// <summary>Semantic tokens → coarse acoustic codes.</summary>
    Stage2 = 2,
    /// <summary>Coarse acoustic codes → fine acoustic codes.</summary>
    Stage3 = 3,
}

/// <summary>Names and enumeration of <see cref="StageId"/>.</summary>
public static class StageIds
{
    /// <summary>The stages in the order data flows through them.</summary>
    public static IReadOnlyList<StageId> All { get; } = [StageId.Stage1, StageId.Stage2, StageId.Stage3];

    /// <summary>"stage1", "stage2" or "stage3": the component, config section and golden prefix of the stage.</summary>
    public static string Name(this StageId stage) => stage switch
    {
        StageId.Stage1 => "stage1",
        StageId.Stage2 => "stage2",
        StageId.Stage3 => "stage3",
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, "not a transformer stage"),
    };

    /// <summary>The stage a component or golden prefix names, or false for "codec", "sampling" and the like.</summary>
    public static bool TryParse(string name, out StageId stage)
    {
        foreach (var s in All)
            if (s.Name() == name)
            {
                stage = s;
                return true;
            }
        stage = default;
        return false;
    }
}
