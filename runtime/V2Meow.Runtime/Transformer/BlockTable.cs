namespace V2Meow.Runtime.Transformer;

/// <summary>
/// One sequence's view of the cache: its length and the blocks that hold positions 0.., in order
/// (position p lives in slot p mod B of block Blocks[p / B]).
/// </summary>
internal sealed class BlockTable
{
    readonly List<int> _blocks = [];

    public int Length { get; set; }
    public IReadOnlyList<int> Blocks => _blocks;

    public void Add(int block) => _blocks.Add(block);

    public void Replace(int index, int block) => _blocks[index] = block;

    public BlockTable Copy()
    {
        var copy = new BlockTable { Length = Length };
        copy._blocks.AddRange(_blocks);
        return copy;
    }

    public void Clear()
    {
        _blocks.Clear();
        Length = 0;
    }
}
