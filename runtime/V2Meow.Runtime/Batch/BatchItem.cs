namespace V2Meow.Runtime.Batch;

/// <summary>
/// One line of a batch manifest: a video and where its music goes, with how to make it. Paths are as the
/// manifest writes them; <see cref="Manifest.Resolve"/> makes them absolute against the manifest's folder,
/// so a manifest on shared storage means the same files from any working folder and any machine.
/// </summary>
public sealed record BatchItem
{
    /// <summary>0-based position among the manifest's items, in file order: what <see cref="ShardSpec"/> slices.</summary>
    public required int Index { get; init; }

    /// <summary>1-based line of the manifest the item starts on, for messages.</summary>
    public required int Line { get; init; }

    /// <summary>The manifest's <c>id</c> for the item, or null when it gives none.</summary>
    public string? Id { get; init; }

    /// <summary>The video (required).</summary>
    public string Video { get; init; } = "";

    /// <summary>Where the music goes (required): .wav, or .mp4/.mkv/.mov for the video with the music muxed in.</summary>
    public string Output { get; init; } = "";

    /// <summary>The sampling seed; null takes the batch's default (0).</summary>
    public ulong? Seed { get; init; }

    /// <summary>A text prompt for the bundle's text tower; not with <see cref="StyleFile"/>.</summary>
    public string? Prompt { get; init; }

    /// <summary>A style embedding file (.npy or .safetensors); not with <see cref="Prompt"/>.</summary>
    public string? StyleFile { get; init; }

    /// <summary>A model name this build knows (<see cref="MusicModel.Names"/>) or a bundle folder; null takes the batch's.</summary>
    public string? Model { get; init; }

    /// <summary>How many candidates (1 to 64), written as OUT.0.wav, OUT.1.wav, … when more than one.</summary>
    public int Candidates { get; init; } = 1;

    /// <summary>Precomputed feature files by stream name, for bundles whose streams are not extracted from the video.</summary>
    public IReadOnlyDictionary<string, string> Features { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Why the line cannot be run (a missing field, a value of the wrong kind, an output another line
    /// already writes), or null. Such an item is reported as failed with this message; the batch goes on.
    /// </summary>
    public string? Problem { get; init; }

    /// <summary>How messages name the item: "line 12", with its id when it has one.</summary>
    public string Label => Id is null ? $"line {Line}" : $"line {Line} ({Id})";
}
