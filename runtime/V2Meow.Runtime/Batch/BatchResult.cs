using V2Meow.Runtime.Scoring;

namespace V2Meow.Runtime.Batch;

/// <summary>Whether an item's music was written.</summary>
public enum BatchItemStatus
{
    /// <summary>Every output was written (and scored, when asked).</summary>
    Ok,
    /// <summary>Nothing was written; <see cref="BatchResult.Error"/> says why.</summary>
    Failed,
}

/// <summary>
/// One line of a batch's results file: which item, whether it worked, where its music is, how long it took,
/// and its scores when the batch scores. Written once the item's outputs are complete.
/// </summary>
public sealed record BatchResult
{
    /// <summary>The item's manifest line (1-based).</summary>
    public required int Item { get; init; }
    /// <summary>The manifest's id for the item, if it gave one.</summary>
    public string? Id { get; init; }
    /// <summary>Whether the outputs were written.</summary>
    public required BatchItemStatus Status { get; init; }
    /// <summary>The video, as the manifest writes it.</summary>
    public string Video { get; init; } = "";
    /// <summary>The output, as the manifest writes it (relative paths are relative to the manifest's folder).</summary>
    public string Output { get; init; } = "";
    /// <summary>The files written, as the manifest would write them: the output, or one per candidate.</summary>
    public IReadOnlyList<string> Outputs { get; init; } = [];
    /// <summary>Seconds from the item's start to its outputs being complete (its feature extraction overlaps the item before).</summary>
    public double Seconds { get; init; }
    /// <summary>Why the item failed, one line; null when it worked.</summary>
    public string? Error { get; init; }
    /// <summary>The scores of each output, in the order of <see cref="Outputs"/>; null when the batch does not score.</summary>
    public IReadOnlyList<MusicScores>? Scores { get; init; }
}

/// <summary>What a batch run did.</summary>
/// <param name="Total">Items in this shard of the manifest.</param>
/// <param name="Succeeded">Items this run wrote.</param>
/// <param name="Failed">Items this run could not write (each has its line in the results file).</param>
/// <param name="Skipped">Items already complete from an earlier run, left as they were.</param>
/// <param name="ResultsPath">The results file of this shard.</param>
/// <param name="Elapsed">Wall time of the run.</param>
public sealed record BatchSummary(int Total, int Succeeded, int Failed, int Skipped, string ResultsPath, TimeSpan Elapsed);
