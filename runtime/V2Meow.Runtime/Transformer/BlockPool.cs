namespace V2Meow.Runtime.Transformer;

/// <summary>
/// The fixed blocks of a KV cache and who holds them: a free list and a reference count per block. A block
/// held by several sequences is a shared prefix; it is never written again unless copied first.
/// </summary>
internal sealed class BlockPool
{
    readonly int[] _references;
    readonly Stack<int> _free;

    public BlockPool(int blocks)
    {
        _references = new int[blocks];
        // Lowest block first: a fresh cache fills from the start.
        _free = new Stack<int>(Enumerable.Range(0, blocks).Reverse());
    }

    public int Capacity => _references.Length;
    public int FreeCount => _free.Count;

    public int References(int block) => _references[block];

    /// <summary>A free block with one reference; callers check <see cref="FreeCount"/> first, so this never fails half-way.</summary>
    public int Take()
    {
        int block = _free.Pop();
        _references[block] = 1;
        return block;
    }

    public void Share(int block) => _references[block]++;

    public void Release(int block)
    {
        if (_references[block] <= 0) throw new InvalidOperationException($"kv cache: block {block} released more often than taken");
        if (--_references[block] == 0) _free.Push(block);
    }
}
