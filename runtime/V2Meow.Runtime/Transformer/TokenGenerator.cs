using V2Meow.Numerics;
using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Transformer;

/// <summary>
/// Autoregressive decoding of a batch of sequences (candidates, and in stage 3 windows) through a
/// <see cref="PagedKvCache"/>. Each distinct prompt is prefilled once and its sequences fork from it,
/// sharing its blocks. Every step then embeds the last sampled tokens, runs one row per sequence, and
/// samples on the device into a step-major token history [steps, sequences]: logits never leave the
/// device, and nothing is uploaded per step except the block tables when a sequence enters a new block.
/// </summary>
internal sealed class TokenGenerator(IComputeBackend backend, Decoder decoder, ScratchTensors scratch)
{
    /// <summary>The tokens of each sequence of the request, [sequences][steps].</summary>
    public int[][] Generate(DecodeRequest request, PagedKvCache cache, CrossMemory? memory)
    {
        int rows = request.Prompts.Count, steps = request.Steps, vocab = decoder.Vocabulary;
        if (rows == 0 || steps == 0) return request.Prompts.Select(_ => Array.Empty<int>()).ToArray();
        // The last sampled token is never fed back, so the highest position run is prompt + steps − 2.
        CheckTimePositions(request.Prompts.Max(p => p.Length) + steps - 1);
        var slots = new List<int>();
        try
        {
            // Prefill each distinct prompt once; its last row's logits seed every sequence that shares it,
            // and the sequences fork from it. The prompt's own slot goes at once: the forks hold its blocks.
            var firstLogits = scratch.Get("generate.first", rows, vocab);
            var rowSlots = new int[rows];
            foreach (var group in Enumerable.Range(0, rows).GroupBy(r => request.Prompts[r], PromptComparer.Instance))
            {
                int[] prompt = group.Key;
                if (prompt.Length == 0) throw new ArgumentException("generate: every sequence needs a prompt of at least one token");
                int promptSlot = cache.Create();
                slots.Add(promptSlot);
                var last = Prefill(prompt, promptSlot, cache, memory);
                foreach (int r in group)
                {
                    backend.CopyRows(last, 0, firstLogits, r, 1);
                    rowSlots[r] = cache.Fork(promptSlot);
                    slots.Add(rowSlots[r]);
                }
                cache.Free(promptSlot);
                slots.Remove(promptSlot);
            }

            using var history = backend.AllocateInts(steps, rows);
            Choose(firstLogits, request, history, 0, request.Forced?.Invoke(0));

            using var rowSlot = backend.UploadInts(rowSlots, rows);
            using var rowPosition = backend.UploadInts(request.Prompts.Select(p => p.Length).ToArray(), rows);
            var x = scratch.Get("generate.x", rows, decoder.ModelWidth);
            var logits = scratch.Get("generate.logits", rows, vocab);
            var growth = new (int Slot, int Length)[rows];
            for (int k = 1; k < steps; k++)
            {
                // Token k−1 goes in at position prompt length + k − 1.
                for (int r = 0; r < rows; r++) growth[r] = (rowSlots[r], request.Prompts[r].Length + k);
                cache.Reserve(growth);
                cache.SyncTables();
                decoder.Embed(backend, history, new TokenLookup(IdsOffset: (k - 1) * rows), x);
                var hidden = decoder.Forward(backend, x, cache.Rows(rowSlot, rowPosition, k - 1), cache, memory, scratch, trace: null);
                int[]? fed = request.Forced?.Invoke(k);
                if (fed is null) decoder.Logits(backend, hidden, logits); // a fed token needs no logits
                Choose(logits, request, history, k, fed);
            }

            var flat = new int[steps * rows];
            backend.DownloadInts(history, flat);
            return Enumerable.Range(0, rows).Select(r => Enumerable.Range(0, steps).Select(k => flat[k * rows + r]).ToArray()).ToArray();
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
        CheckTimePositions(n);
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

    /// <summary>A decoder with a time embedding covers its window's positions only (SPEC §6.8).</summary>
    void CheckTimePositions(int positions)
    {
        if (decoder.TimePositions is int covered && positions > covered)
            throw new ArgumentException($"decoder input: {positions} positions, but the time embedding covers the stage's window of {covered}");
    }

    /// <summary>Token <paramref name="step"/> of every row into the history: fed as the request gives it, or drawn from the logits.</summary>
    void Choose(DeviceTensor logits, DecodeRequest request, DeviceIntTensor history, int step, int[]? fed)
    {
        int rows = request.Prompts.Count;
        if (fed is not null)
        {
            if (fed.Length != rows) throw new ArgumentException($"generate: {fed.Length} fed tokens at step {step} for {rows} sequences");
            foreach (int id in fed)
                if ((uint)id >= (uint)decoder.Vocabulary)
                    throw new ArgumentException($"generate: fed token {id} at step {step} is outside the vocabulary [0, {decoder.Vocabulary})");
            backend.UploadInts(fed, history, step * rows);
            return;
        }
        var range = request.Range(step);
        backend.Sample(logits, request.Temperature, new SamplingRequest
        {
            Lo = range.Lo, Hi = range.Hi, TopK = request.TopK, OutputOffset = step * logits.Rows, Candidates = request.Candidates,
            Seed = request.Seed, StreamBase = request.StreamBase, StreamStep = SamplingStreams.CandidateStride,
            CounterBase = request.FirstCounter + (ulong)(request.DrawIndex?.Invoke(step) ?? step), CounterStep = request.CounterStride,
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
