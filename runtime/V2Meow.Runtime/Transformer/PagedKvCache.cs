using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Transformer;

/// <summary>
/// The decoder's self-attention keys and values (SPEC §6.4) in fixed blocks of <see cref="BlockSize"/>
/// positions from one pool, shared by every layer: block b holds rows [b·B, (b+1)·B) of each layer's key
/// and value tensors. Sequences live in slots; each has a block table, uploaded to the device as one row of
/// <see cref="Tables"/> whenever it changes. Forked sequences share their parent's blocks (a prompt prefilled
/// once serves every candidate); the first write into a shared, partly filled block copies it first, and
/// full blocks are never written again, so sharing them is safe.
/// Every operation checks what it needs before it changes anything: an exhausted pool is an error that
/// leaves every sequence as it was. Owns its device memory.
/// </summary>
public sealed class PagedKvCache : IDisposable
{
    /// <summary>Positions per block unless the caller picks another size.</summary>
    public const int DefaultBlockSize = 16;

    readonly IComputeBackend _backend;
    readonly DeviceTensor[] _keys, _values;
    readonly BlockPool _pool;
    readonly BlockTable?[] _slots;
    readonly int[] _hostTables;
    bool _tablesChanged = true;

    /// <summary>Decoder layers; each has its own key and value tensors.</summary>
    public int Layers { get; }
    /// <summary>Width of a key or value row: heads · head_dim.</summary>
    public int Inner { get; }
    /// <summary>B, positions per block.</summary>
    public int BlockSize { get; }
    /// <summary>Entries of a block table: ⌈maxLength / BlockSize⌉.</summary>
    public int MaxBlocksPerSequence { get; }
    /// <summary>Positions one sequence may hold: whole blocks.</summary>
    public int MaxLength => MaxBlocksPerSequence * BlockSize;
    /// <summary>Sequence slots, and rows of <see cref="Tables"/>.</summary>
    public int MaxSequences => _slots.Length;
    /// <summary>Blocks in the pool.</summary>
    public int Capacity => _pool.Capacity;
    /// <summary>Blocks no sequence holds.</summary>
    public int FreeBlocks => _pool.FreeCount;
    /// <summary>[slots, max blocks per sequence] on the device; unused entries are 0.</summary>
    public DeviceIntTensor Tables { get; }

    /// <summary>
    /// A cache of <paramref name="blocks"/> blocks of <paramref name="blockSize"/> positions for <paramref name="layers"/> layers of
    /// width <paramref name="inner"/>, up to <paramref name="maxSequences"/> sequences of <paramref name="maxLength"/> positions each.
    /// </summary>
    public PagedKvCache(IComputeBackend backend, int layers, int inner, int blocks, int maxSequences, int maxLength, int blockSize = DefaultBlockSize)
    {
        if (layers < 1 || inner < 1 || blocks < 1 || maxSequences < 1 || maxLength < 1 || blockSize < 1)
            throw new ArgumentException($"kv cache: layers {layers}, inner {inner}, blocks {blocks}, sequences {maxSequences}, length {maxLength} and block size {blockSize} must all be ≥ 1");
        _backend = backend;
        Layers = layers;
        Inner = inner;
        BlockSize = blockSize;
        MaxBlocksPerSequence = (maxLength + blockSize - 1) / blockSize;
        _pool = new BlockPool(blocks);
        _slots = new BlockTable?[maxSequences];
        _hostTables = new int[maxSequences * MaxBlocksPerSequence];
        _keys = new DeviceTensor[layers];
        _values = new DeviceTensor[layers];
        try
        {
            for (int l = 0; l < layers; l++)
            {
                _keys[l] = backend.Allocate(blocks * blockSize, inner);
                _values[l] = backend.Allocate(blocks * blockSize, inner);
            }
            Tables = backend.AllocateInts(maxSequences, MaxBlocksPerSequence);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Blocks a pool needs for <paramref name="sequences"/> sequences of <paramref name="length"/> positions, none shared.</summary>
    public static int BlocksFor(int sequences, int length, int blockSize = DefaultBlockSize) =>
        sequences * ((length + blockSize - 1) / blockSize);

    /// <summary>Layer <paramref name="layer"/>'s keys, [blocks · B, Inner].</summary>
    public DeviceTensor Keys(int layer) => _keys[layer];
    /// <summary>Layer <paramref name="layer"/>'s values, [blocks · B, Inner].</summary>
    public DeviceTensor Values(int layer) => _values[layer];

    /// <summary>Positions the sequence in <paramref name="slot"/> holds.</summary>
    public int Length(int slot) => Table(slot).Length;

    /// <summary>The sequence's block table: the pool blocks that hold its positions, in position order.</summary>
    public IReadOnlyList<int> BlocksOf(int slot) => Table(slot).Blocks;

    /// <summary>How many sequences hold <paramref name="block"/>; more than one means it is shared.</summary>
    public int ReferencesOf(int block) => _pool.References(block);

    /// <summary>A new empty sequence; returns its slot.</summary>
    public int Create()
    {
        int slot = FreeSlot();
        _slots[slot] = new BlockTable();
        return slot;
    }

    /// <summary>A new sequence that starts as a copy of <paramref name="parent"/>, sharing all its blocks.</summary>
    public int Fork(int parent)
    {
        var source = Table(parent);
        int slot = FreeSlot();
        foreach (int block in source.Blocks) _pool.Share(block);
        _slots[slot] = source.Copy();
        SetRow(slot);
        return slot;
    }

    /// <summary>Grows one sequence to <paramref name="length"/> positions; see <see cref="Reserve(IReadOnlyList{ValueTuple{int, int}})"/>.</summary>
    public void Reserve(int slot, int length) => Reserve([(slot, length)]);

    /// <summary>
    /// Makes positions [current length, new length) of each sequence writable: new blocks where they run
    /// past the last block, and a private copy of a shared last block that is about to be written. All or
    /// nothing: when the pool cannot supply every block, nothing changes and a <see cref="DeviceException"/>
    /// says how many blocks were needed and free.
    /// </summary>
    public void Reserve(IReadOnlyList<(int Slot, int Length)> requests)
    {
        int needed = 0;
        var references = new Dictionary<int, int>();
        foreach (var (slot, length) in requests)
        {
            var table = Table(slot);
            if (length < table.Length)
                throw new ArgumentException($"kv cache: sequence {slot} holds {table.Length} positions; cannot shrink to {length}");
            int blocks = (length + BlockSize - 1) / BlockSize;
            if (blocks > MaxBlocksPerSequence)
                throw new DeviceException($"kv cache: sequence {slot} needs {length} positions; this cache holds at most {MaxLength} per sequence");
            needed += blocks - table.Blocks.Count;
            if (WritesIntoLastBlock(table, length))
            {
                int last = table.Blocks[^1];
                int count = references.TryGetValue(last, out var c) ? c : _pool.References(last);
                if (count > 1)
                {
                    needed++;
                    references[last] = count - 1;
                }
            }
        }
        if (needed > _pool.FreeCount)
            throw new DeviceException(
                $"kv cache: pool exhausted: {needed} more blocks of {BlockSize} positions needed, {_pool.FreeCount} of {_pool.Capacity} free; " +
                "generate fewer candidates at once or give the cache more blocks");

        foreach (var (slot, length) in requests)
        {
            var table = Table(slot);
            if (WritesIntoLastBlock(table, length) && _pool.References(table.Blocks[^1]) > 1) CopyOnWrite(table);
            while (table.Blocks.Count * BlockSize < length) table.Add(_pool.Take());
            table.Length = length;
            SetRow(slot);
        }
    }

    /// <summary>Returns a sequence's blocks to the pool (shared ones once their last holder lets go).</summary>
    public void Free(int slot)
    {
        var table = Table(slot);
        foreach (int block in table.Blocks) _pool.Release(block);
        table.Clear();
        _slots[slot] = null;
    }

    /// <summary>Uploads the block tables if any changed since the last upload; call before launches that read them.</summary>
    public void SyncTables()
    {
        if (!_tablesChanged) return;
        _backend.UploadInts(_hostTables, Tables);
        _tablesChanged = false;
    }

    /// <summary>The layout of a launch whose row r is sequence rowSlot[r] at position rowPosition[r] + step.</summary>
    public PagedRows Rows(DeviceIntTensor rowSlot, DeviceIntTensor rowPosition, int step) => new(Tables, BlockSize, rowSlot, rowPosition, step);

    bool WritesIntoLastBlock(BlockTable table, int length) =>
        length > table.Length && table.Length % BlockSize != 0;

    /// <summary>Gives the sequence its own copy of its partly filled last block, every layer's keys and values.</summary>
    void CopyOnWrite(BlockTable table)
    {
        int shared = table.Blocks[^1], own = _pool.Take();
        for (int l = 0; l < Layers; l++)
        {
            _backend.CopyRows(_keys[l], shared * BlockSize, _keys[l], own * BlockSize, BlockSize);
            _backend.CopyRows(_values[l], shared * BlockSize, _values[l], own * BlockSize, BlockSize);
        }
        _pool.Release(shared);
        table.Replace(table.Blocks.Count - 1, own);
    }

    void SetRow(int slot)
    {
        var blocks = Table(slot).Blocks;
        var row = _hostTables.AsSpan(slot * MaxBlocksPerSequence, MaxBlocksPerSequence);
        row.Clear();
        for (int i = 0; i < blocks.Count; i++) row[i] = blocks[i];
        _tablesChanged = true;
    }

    BlockTable Table(int slot) =>
        slot >= 0 && slot < _slots.Length && _slots[slot] is { } table ? table
            : throw new ArgumentException($"kv cache: no sequence in slot {slot}");

    int FreeSlot()
    {
        int slot = Array.IndexOf(_slots, null);
        if (slot < 0) throw new DeviceException($"kv cache: all {_slots.Length} sequence slots are in use");
        return slot;
    }

    /// <summary>Frees the key, value and table tensors; only once the stream using them has synchronised.</summary>
    public void Dispose()
    {
        foreach (var t in _keys) t?.Dispose();
        foreach (var t in _values) t?.Dispose();
        Tables?.Dispose();
    }
}
