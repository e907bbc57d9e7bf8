using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Generation;

namespace V2Meow.Runtime.Batch;

/// <summary>How a batch runs its manifest. Every field has the default a user would expect.</summary>
public sealed record BatchOptions
{
    /// <summary>The device every model of the batch is loaded onto.</summary>
    public DeviceKind Device { get; init; } = DeviceKind.Auto;

    /// <summary>
    /// The model of items that name none: a name (<see cref="MusicModel.Names"/>) or a bundle folder
    /// (relative to the working folder); null for the embedded default model.
    /// </summary>
    public string? Model { get; init; }

    /// <summary>Which slice of the manifest this process runs.</summary>
    public ShardSpec Shard { get; init; } = ShardSpec.All;

    /// <summary>The results file; null for <see cref="ResultsJournal.DefaultPath"/> (beside the manifest).</summary>
    public string? ResultsPath { get; init; }

    /// <summary>Score every output against its video (<see cref="Scoring.MusicScorer"/>) and put the scores in the results file.</summary>
    public bool Score { get; init; }

    /// <summary>Sampling for every item (temperatures, top-k); each item's seed and candidates replace those here.</summary>
    public GenerationOptions Generation { get; init; } = new();

    /// <summary>Longest video accepted, in seconds (two hours by default); a longer one fails its item.</summary>
    public double MaxDurationSeconds { get; init; } = Loaders.Video.VideoProbe.DefaultMaxDurationSeconds;

    /// <summary>
    /// Items whose video decoding and feature extraction may run while another item holds the device (1 by
    /// default: the next item is ready when the current one's token work ends). 0 runs items strictly one
    /// after another.
    /// </summary>
    public int Prefetch { get; init; } = 1;

    internal void Validate()
    {
        if (Prefetch is < 0 or > 16) throw new ArgumentOutOfRangeException(nameof(Prefetch), Prefetch, "from 0 to 16");
        if (!double.IsFinite(MaxDurationSeconds) || MaxDurationSeconds < Loaders.Video.VideoProbe.MinDurationSeconds)
            throw new ArgumentOutOfRangeException(nameof(MaxDurationSeconds), MaxDurationSeconds, "a number of seconds");
        Generation.Validate();
    }
}
