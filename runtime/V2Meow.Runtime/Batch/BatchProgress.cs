using V2Meow.Runtime.Generation;

namespace V2Meow.Runtime.Batch;

/// <summary>What happened to an item, as a batch reports it.</summary>
public enum BatchEventKind
{
    /// <summary>The item was already complete from an earlier run and is left as it is.</summary>
    Skipped,
    /// <summary>The item started (its video is being read).</summary>
    Started,
    /// <summary>The item's generation advanced; <see cref="BatchProgress.Generation"/> says how far.</summary>
    Generating,
    /// <summary>The item finished, written or failed; <see cref="BatchProgress.Result"/> is its results line.</summary>
    Finished,
}

/// <summary>
/// One report of a running batch: an event about one item, with the counts of the whole shard and an estimate
/// of the time left (items still to run times the mean time of the items run so far, from their overlapped
/// wall time, not their own).
/// </summary>
public sealed record BatchProgress
{
    /// <summary>What happened.</summary>
    public required BatchEventKind Kind { get; init; }
    /// <summary>The item it happened to.</summary>
    public required BatchItem Item { get; init; }
    /// <summary>The item's results line, for <see cref="BatchEventKind.Finished"/>.</summary>
    public BatchResult? Result { get; init; }
    /// <summary>The item's generation progress, for <see cref="BatchEventKind.Generating"/>.</summary>
    public GenerationProgress? Generation { get; init; }
    /// <summary>For a failure that is a bug rather than bad input, the exception, so a caller can show its stack trace.</summary>
    public Exception? Exception { get; init; }
    /// <summary>Items in this shard.</summary>
    public required int Total { get; init; }
    /// <summary>Items with a final state: written, failed or already complete.</summary>
    public required int Completed { get; init; }
    /// <summary>Items that failed in this run.</summary>
    public required int Failed { get; init; }
    /// <summary>Items already complete from an earlier run.</summary>
    public required int Skipped { get; init; }
    /// <summary>Time since the run started.</summary>
    public required TimeSpan Elapsed { get; init; }
    /// <summary>Estimated time left; null until an item has run.</summary>
    public TimeSpan? Remaining { get; init; }
}
