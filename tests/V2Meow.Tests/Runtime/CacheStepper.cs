using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Tests.Runtime;

/// <summary>Feeds chunks of tokens of one sequence through a stage's decoder and cache, as generation does, and returns their logits.</summary>
internal sealed class CacheStepper(IComputeBackend backend, StageDecoder model, PagedKvCache cache, CrossMemory? memory = null)
{
    /// <summary>Logits [tokens.Length, vocab] of <paramref name="tokens"/> at positions start.. of the sequence in <paramref name="slot"/>.</summary>
    public float[] Run(int slot, int[] tokens, int start)
    {
        int n = tokens.Length, vocab = model.Decoder.Vocabulary;
        cache.Reserve(slot, start + n);
        cache.SyncTables();
        using var ids = backend.UploadInts(tokens, n);
        using var rowSlot = backend.UploadInts(Enumerable.Repeat(slot, n).ToArray(), n);
        using var rowPosition = backend.UploadInts(Enumerable.Range(start, n).ToArray(), n);
        using var x = backend.Allocate(n, model.Decoder.ModelWidth);
        using var logits = backend.Allocate(n, vocab);
        model.Decoder.Embed(backend, ids, new TokenLookup(), x);
        var hidden = model.Decoder.Forward(backend, x, cache.Rows(rowSlot, rowPosition, 0), cache, memory, model.Scratch, trace: null);
        model.Decoder.Logits(backend, hidden, logits);
        var values = new float[n * vocab];
        backend.Download(logits, values);
        return values;
    }

    /// <summary>Token by token from <paramref name="start"/>: the decode loop's access pattern.</summary>
    public float[] RunOneByOne(int slot, int[] tokens, int start) =>
        tokens.SelectMany((token, i) => Run(slot, [token], start + i)).ToArray();
}
