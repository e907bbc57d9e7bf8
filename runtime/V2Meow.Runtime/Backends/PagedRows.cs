namespace V2Meow.Runtime.Backends;

/// <summary>
/// Where the rows of a paged-attention launch live in the KV cache: row r belongs to the sequence whose block
/// table is row RowSlot[r] of BlockTables [slots, MaxBlocks] and sits at position RowPosition[r] + Step.
/// A decode step keeps RowSlot and RowPosition and advances Step, so nothing is uploaded per token.
/// </summary>
public readonly record struct PagedRows(
    DeviceIntTensor BlockTables,
    int BlockSize,
    DeviceIntTensor RowSlot,
    DeviceIntTensor RowPosition,
    int Step)
{
    /// <summary>Entries per block table: the most blocks one sequence can hold.</summary>
    public int MaxBlocks => BlockTables.Shape[^1];
    /// <summary>Query rows in the launch, one per RowSlot entry.</summary>
    public int Rows => RowSlot.Length;
}
