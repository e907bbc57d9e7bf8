namespace V2Meow.Runtime.Backends.Cpu;

/// <summary>
/// Large f32 arrays given back by the backend's tensors, kept for the next tensor of the same length. A codec
/// decode allocates the same dozen multi-megabyte temporaries on every call: fresh, each is a large-object
/// allocation that only a full (gen2) collection reclaims, on pages the kernel zero-fills again, so a process
/// that decodes many chunks spent its time in collections and page faults rather than in the convolutions.
/// </summary>
/// <remarks>
/// Only arrays of at least <see cref="MinimumLength"/> floats are kept: smaller ones are cheap to allocate. At
/// most <paramref name="capacityBytes"/> are held; giving back past that lets the oldest go to the GC, and
/// nothing is kept while the machine's memory load is high (the GC's own threshold), so an idle backend does not
/// hold memory the rest of the process needs. An array taken from the cache holds whatever its last tensor left
/// in it, as <see cref="GC.AllocateUninitializedArray{T}(int, bool)"/> may. Thread-safe: the backend may be shared.
/// </remarks>
internal sealed class CpuArrayCache(long capacityBytes)
{
    /// <summary>The shortest array kept: 256 KiB, above the GC's large-object threshold.</summary>
    public const int MinimumLength = 64 * 1024;

    readonly List<float[]> _free = []; // oldest first
    readonly Lock _lock = new();
    long _bytes;

    /// <summary>Bytes held for reuse now.</summary>
    public long Bytes
    {
        get { lock (_lock) return _bytes; }
    }

    /// <summary>An array of exactly <paramref name="length"/> floats, the most recently given back one of that length if any; its contents are undefined.</summary>
    public float[] Take(int length)
    {
        if (length >= MinimumLength)
        {
            lock (_lock)
            {
                for (int i = _free.Count - 1; i >= 0; i--)
                {
                    if (_free[i].Length != length) continue;
                    var array = _free[i];
                    _free.RemoveAt(i);
                    _bytes -= 4L * length;
                    return array;
                }
            }
        }
        return GC.AllocateUninitializedArray<float>(length);
    }

    /// <summary>Keeps <paramref name="array"/> for a later <see cref="Take"/>; its giver must not touch it again.</summary>
    public void Give(float[] array)
    {
        long size = 4L * array.Length;
        if (array.Length < MinimumLength || size > capacityBytes || MemoryIsShort()) return;
        lock (_lock)
        {
            _free.Add(array);
            _bytes += size;
            while (_bytes > capacityBytes)
            {
                _bytes -= 4L * _free[0].Length;
                _free.RemoveAt(0);
            }
        }
    }

    /// <summary>Whether the last collection saw the machine's memory load at or above the GC's high-load threshold.</summary>
    static bool MemoryIsShort()
    {
        var info = GC.GetGCMemoryInfo();
        return info.HighMemoryLoadThresholdBytes > 0 && info.MemoryLoadBytes >= info.HighMemoryLoadThresholdBytes;
    }

    /// <summary>Lets every kept array go to the GC.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _free.Clear();
            _bytes = 0;
        }
    }
}
