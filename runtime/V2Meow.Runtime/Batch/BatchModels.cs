namespace V2Meow.Runtime.Batch;

/// <summary>
/// The models of one batch run: each loaded once, on first use, and disposed as soon as no item left to run
/// needs it (a manifest that moves from one model to another holds one at a time). Items name a model by
/// <see cref="MusicModel.Names"/> or bundle folder; two names for the same folder share one load. A load
/// that fails fails every item of that model with the same message, without loading again.
/// </summary>
internal sealed class BatchModels : IDisposable
{
    readonly Backends.DeviceKind _device;
    readonly Dictionary<string, int> _remaining = new(StringComparer.Ordinal);
    readonly Dictionary<string, Task<IMusicPipeline>> _loads = new(StringComparer.Ordinal);
    readonly Dictionary<BatchItem, string> _keys = new(ReferenceEqualityComparer.Instance);
    readonly Dictionary<BatchItem, Exception> _unresolved = new(ReferenceEqualityComparer.Instance);
    readonly Lock _lock = new();

    /// <summary>Resolves the model of every item in <paramref name="items"/> (names and folders, nothing loaded yet).</summary>
    public BatchModels(Manifest manifest, BatchOptions options, IEnumerable<BatchItem> items)
    {
        _device = options.Device;
        string? batchDefault = null;
        Exception? batchDefaultError = null;
        try { batchDefault = Find(options.Model ?? "default", null); }
        catch (Loaders.Bundles.BundleException e) { batchDefaultError = e; }

        foreach (var item in items)
        {
            try
            {
                string key = item.Model is { } model ? Find(model, manifest.Folder) : batchDefault ?? throw batchDefaultError!;
                _keys[item] = key;
                _remaining[key] = _remaining.GetValueOrDefault(key) + 1;
            }
            catch (Loaders.Bundles.BundleException e)
            {
                _unresolved[item] = e;
            }
        }
    }

    /// <summary><see cref="MusicModel.FindBundle"/>, every failure a <see cref="Loaders.Bundles.BundleException"/> naming the model.</summary>
    static string Find(string model, string? relativeTo)
    {
        try
        {
            return MusicModel.FindBundle(model, relativeTo);
        }
        catch (InvalidOperationException e)
        {
            throw new Loaders.Bundles.BundleException($"model '{model}': {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The embedded model unpacks into a cache folder (XDG_CACHE_HOME, else ~/.cache) that must be writable.
            throw new Loaders.Bundles.BundleException($"model '{model}': cannot unpack the embedded model into the cache folder ({e.Message}); " +
                "set XDG_CACHE_HOME to a writable folder", e);
        }
    }

    /// <summary>The bundle folder of <paramref name="item"/>'s model; throws what resolving it threw.</summary>
    public string FolderOf(BatchItem item)
    {
        if (_unresolved.TryGetValue(item, out var error)) throw error;
        return _keys[item];
    }

    /// <summary>The loaded model of <paramref name="item"/>, loading it (off the caller's thread) when it is the first to need it.</summary>
    public Task<IMusicPipeline> AcquireAsync(BatchItem item)
    {
        string key = FolderOf(item);
        lock (_lock)
        {
            if (!_loads.TryGetValue(key, out var load))
            {
                load = Task.Run(() => MusicModel.Load(key, _device));
                _loads[key] = load;
            }
            return load;
        }
    }

    /// <summary>Says <paramref name="item"/> is done with its model; the last item of a model disposes it.</summary>
    public void Release(BatchItem item)
    {
        if (!_keys.TryGetValue(item, out var key)) return;
        Task<IMusicPipeline>? finished = null;
        lock (_lock)
        {
            int left = _remaining[key] - 1;
            _remaining[key] = left;
            if (left == 0 && _loads.Remove(key, out var load)) finished = load;
        }
        if (finished is { IsCompletedSuccessfully: true }) finished.Result.Dispose();
    }

    /// <summary>Disposes every model still loaded (a cancelled run), waiting for loads in progress.</summary>
    public void Dispose()
    {
        List<Task<IMusicPipeline>> loads;
        lock (_lock)
        {
            loads = [.. _loads.Values];
            _loads.Clear();
        }
        foreach (var load in loads)
        {
            try { load.Wait(); } catch (AggregateException) { continue; }
            load.Result.Dispose();
        }
    }
}
