using V2Meow.Kernels;
using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Transformer;

/// <summary>
/// Autoregressive decoding of a batch of candidates through a <see cref="PagedKvCache"/>. Each distinct
/// prompt is prefilled once and its candidates fork from it, sharing its blocks. Every step then embeds the
/// last sampled tokens, runs one row per candidate, and samples on the device into a step-major token
/// history [steps, candidates]: logits never leave the device, and nothing is uploaded per step except the
/// block tables when a candidate crosses into a new block.
/// </summary>
internal sealed class TokenGenerator(IComputeBackend backend, Decoder decoder, ScratchTensors scratch)
{
    /// <summary>The tokens of each candidate, [candidates][steps].</summary>
    public int[][] Generate(DecodeRequest request, PagedKvCache cache, CrossMemory? memory)
    {
        int candidates = request.Prompts.Count, steps = request.Steps, vocab = decoder.Vocabulary;
        if (candidates == 0 || steps == 0) return request.Prompts.Select(_ => Array.Empty<int>()).ToArray();
        var slots = new List<int>();
        try
        {
            // Prefill each distinct prompt once; its last row's logits seed every candidate that shares it.
            var firstLogits = scratch.Get("generate.first", candidates, vocab);
            var candidateSlots = new int[candidates];
            foreach (var group in Enumerable.Range(0, candidates).GroupBy(b => request.Prompts[b], PromptComparer.Instance))
            {
                int[] prompt = group.Key;
                if (prompt.Length == 0) throw new ArgumentException("generate: every candidate needs a prompt of at least one token");
                int promptSlot = cache.Create();
                slots.Add(promptSlot);
                var last = Prefill(prompt, promptSlot, cache, memory);
                foreach (int b in group)
                {
                    backend.CopyRows(last, 0, firstLogits, b, 1);
                    candidateSlots[b] = cache.Fork(promptSlot);
                    slots.Add(candidateSlots[b]);
                }
            }

            using var history = backend.AllocateInts(steps, candidates);
            Sample(firstLogits, request, history, 0);

            using var rowSlot = backend.UploadInts(candidateSlots, candidates);
            using var rowPosition = backend.UploadInts(request.Prompts.Select(p => p.Length).ToArray(), candidates);
            var x = scratch.Get("generate.x", candidates, decoder.ModelWidth);
            var logits = scratch.Get("generate.logits", candidates, vocab);
            var growth = new (int Slot, int Length)[candidates];
            for (int k = 1; k < steps; k++)
            {
                // Token k−1 goes in at position prompt length + k − 1.
                for (int b = 0; b < candidates; b++) growth[b] = (candidateSlots[b], request.Prompts[b].Length + k);
                cache.Reserve(growth);
                cache.SyncTables();
                decoder.Embed(backend, history, new TokenLookup(IdsOffset: (k - 1) * candidates), x);
                var hidden = decoder.Forward(backend, x, cache.Rows(rowSlot, rowPosition, k - 1), cache, memory, scratch, trace: null);
                decoder.Logits(backend, hidden, logits);
                Sample(logits, request, history, k);
            }

            var flat = new int[steps * candidates];
            backend.DownloadInts(history, flat);
            return Enumerable.Range(0, candidates).Select(b => Enumerable.Range(0, steps).Select(k => flat[k * candidates + b]).ToArray()).ToArray();
        }
        finally
        {
            backend.Synchronize();
            foreach (int slot in slots) cache.Free(slot);
        }
    }

    /// <summary>Runs a whole prompt through the decoder into <paramref name="slot"/>; returns the logits of its last position [1, vocab].</summary>
    DeviceTensor Prefill(int[] prompt, int slot, PagedKvCache cache, CrossMemory? memory)
    {
        var hidden = Run(prompt, slot, cache, memory, trace: null);
        var last = scratch.Get("generate.last", 1, decoder.ModelWidth);
        backend.CopyRows(hidden, prompt.Length - 1, last, 0, 1);
        var logits = scratch.Get("generate.lastLogits", 1, decoder.Vocabulary);
        decoder.Logits(backend, last, logits);
        return logits;
    }

    /// <summary>
    /// Every position of <paramref name="tokens"/> through the decoder as one sequence in
    /// <paramref name="slot"/> (positions 0..); returns the final-normed hidden state [tokens, d] from scratch.
    /// </summary>
    public DeviceTensor Run(int[] tokens, int slot, PagedKvCache cache, CrossMemory? memory, ActivationTrace? trace)
    {
        int n = tokens.Length;
        foreach (int id in tokens)
            if ((uint)id >= (uint)decoder.Vocabulary)
                throw new ArgumentException($"decoder input: token {id} is outside the vocabulary [0, {decoder.Vocabulary})");
        cache.Reserve(slot, n);
        cache.SyncTables();
        using var ids = backend.UploadInts(tokens, n);
        using var rowSlot = backend.UploadInts(Enumerable.Repeat(slot, n).ToArray(), n);
        using var rowPosition = backend.UploadInts(Enumerable.Range(0, n).ToArray(), n);
        var x = scratch.Get("prefill.x", n, decoder.ModelWidth);
        decoder.Embed(backend, ids, new TokenLookup(), x);
        var hidden = decoder.Forward(backend, x, cache.Rows(rowSlot, rowPosition, 0), cache, memory, scratch, trace);
        // The id and layout tensors are freed on return: finish the launches that read them.
        backend.Synchronize();
        return hidden;
    }

    void Sample(DeviceTensor logits, DecodeRequest request, DeviceIntTensor history, int step)
    {
        var range = request.Range(step);
        backend.Sample(logits, request.Temperature, new SamplingRequest
        {
            Lo = range.Lo, Hi = range.Hi, TopK = request.TopK, OutputOffset = step * logits.Rows,
            Seed = request.Seed, StreamBase = request.StreamBase, StreamStep = 1, CounterBase = (ulong)step,
        }, history);
    }

    sealed class PromptComparer : IEqualityComparer<int[]>
    {
        public static readonly PromptComparer Instance = new();
        public bool Equals(int[]? a, int[]? b) => a.AsSpan().SequenceEqual(b);
        public int GetHashCode(int[] prompt)
        {
            var hash = new HashCode();
            hash.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(prompt.AsSpan()));
            return hash.ToHashCode();
        }
    }
}
