namespace V2Meow.Runtime.Transformer;

/// <summary>
/// Every device buffer a loaded model made, in one place: the model disposes them together, and a load
/// that fails half-way frees what it had already uploaded.
/// </summary>
internal sealed class OwnedResources : IDisposable
{
    readonly List<IDisposable> _items = [];

    public T Add<T>(T item) where T : IDisposable
    {
        _items.Add(item);
        return item;
    }

    public void Dispose()
    {
        for (int i = _items.Count - 1; i >= 0; i--) _items[i].Dispose();
        _items.Clear();
    }
}
