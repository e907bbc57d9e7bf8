using V2Meow.Numerics;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Runtime.Families.Vmas;

/// <summary>How one window samples (VMAS.md §6.4, §7.2).</summary>
/// <param name="Temperature">0 is argmax.</param>
/// <param name="TopK">0 keeps every code.</param>
/// <param name="Guidance">Classifier-free guidance scale; 1 runs no null rows.</param>
/// <param name="Seed">The request's seed.</param>
/// <param name="Candidates">Independent candidates, one batch.</param>
internal sealed record MusicSampling(double Temperature, int TopK, double Guidance, ulong Seed, int Candidates)
{
    /// <summary>Whether each step runs a null-conditioned row beside each candidate.</summary>
    public bool Guided => Guidance != 1.0;
}

/// <summary>
/// One window of codes through the delay pattern (VMAS.md §7): every candidate's prompt frames and the
/// first position are prefilled in one launch, then each step runs one row per sequence (candidates, then
/// their null-conditioned twins when guided), combines guided logits, and samples the codebooks whose
/// frames are new; prompt frames are fed, never drawn. Draws use stream 1 + candidate · 2^32 and counter
/// (first frame + t) · K + k, so a frame's codes do not depend on how the video was windowed or batched.
/// </summary>
internal sealed class MusicTokenGenerator(IComputeBackend backend, MusicDecoder decoder)
{
    /// <summary>
    /// Codes [K, frames] per candidate for a window whose first <paramref name="prompts"/>[c] frames (each
    /// [K, Tp], the same Tp for all) are given; <paramref name="firstFrame"/> is the window's frame 0 in the
    /// whole output (the RNG counter's origin).
    /// </summary>
    public int[][] Generate(IReadOnlyList<int[]> prompts, int promptFrames, int frames, CrossMemory memory, MusicSampling sampling,
        long firstFrame, CancellationToken cancellationToken = default)
    {
        int K = decoder.Codebooks, N = decoder.CodebookSize, B = sampling.Candidates;
        if (promptFrames >= frames) throw new ArgumentException($"music tokens: a window of {frames} frames cannot continue from {promptFrames}");
        int steps = DelayPattern.Steps(frames, K);
        if (steps > decoder.MaxPositions)
            throw new ArgumentException($"music tokens: {frames} frames need {steps} positions; the decoder covers {decoder.MaxPositions}");
        int sequences = sampling.Guided ? 2 * B : B;
        var codes = Enumerable.Range(0, B).Select(c => new int[K * frames]).ToArray();
        for (int c = 0; c < B; c++)
            for (int k = 0; k < K; k++)
                Array.Copy(prompts[c], k * promptFrames, codes[c], k * frames, promptFrames);

        using var scratch = new ScratchTensors(backend);
        using var cache = new PagedKvCache(backend, decoder.Layers, decoder.Heads.Inner,
            PagedKvCache.BlocksFor(sequences, steps), sequences, steps);
        var slots = Enumerable.Range(0, sequences).Select(_ => cache.Create()).ToArray();

        // Prefill positions 0 … Tp of every sequence: all known (prompt frames, or N).
        int known = promptFrames + 1;
        var logits = Prefill(codes, frames, known, slots, cache, memory, B, scratch);

        using var sampled = backend.AllocateInts(K * B);
        using var rowSlot = backend.UploadInts(slots, sequences);
        using var rowPosition = backend.UploadInts(new int[sequences], sequences);
        using var fed = backend.AllocateInts(K * sequences);
        var host = new int[K * B];
        var feed = new int[K * sequences];
        var guided = sampling.Guided ? scratch.Get("music.guided", B, K * N) : logits;
        for (int step = promptFrames; ; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (sampling.Guided)
            {
                var conditioned = scratch.Get("music.cond", B, K * N);
                var unconditioned = scratch.Get("music.uncond", B, K * N);
                backend.CopyRows(logits, 0, conditioned, 0, B);
                backend.CopyRows(logits, B, unconditioned, 0, B);
                backend.Guidance(conditioned, unconditioned, (float)sampling.Guidance, guided);
            }
            bool drew = false;
            for (int k = 0; k < K; k++)
            {
                if (DelayPattern.FrameAt(step, k, frames) is not int t || t < promptFrames) continue;
                backend.Sample(guided, sampling.Temperature, new SamplingRequest
                {
                    Lo = k * N, Hi = (k + 1) * N, TopK = sampling.TopK, OutputOffset = k * B, Candidates = B,
                    Seed = sampling.Seed, StreamBase = SamplingStreams.For(1), StreamStep = SamplingStreams.CandidateStride,
                    CounterBase = (ulong)((firstFrame + t) * K + k), CounterStep = 0,
                }, sampled);
                drew = true;
            }
            if (drew) backend.DownloadInts(sampled, host);
            for (int k = 0; k < K; k++)
            {
                if (DelayPattern.FrameAt(step, k, frames) is not int t || t < promptFrames) continue;
                for (int c = 0; c < B; c++) codes[c][k * frames + t] = host[k * B + c] - k * N;
            }
            if (step == steps - 1) break;

            // Step j's output goes in at position j + 1, for each candidate and its null twin alike.
            for (int k = 0; k < K; k++)
                for (int s = 0; s < sequences; s++)
                    feed[k * sequences + s] = DelayPattern.FrameAt(step, k, frames) is int t ? codes[s % B][k * frames + t] : N;
            backend.UploadInts(feed, fed);
            cache.Reserve(slots.Select(s => (s, step + 2)).ToArray());
            cache.SyncTables();
            var rows = cache.Rows(rowSlot, rowPosition, step + 1);
            var x = scratch.Get("music.x", sequences, decoder.ModelWidth);
            decoder.Embed(fed, rows, x, scratch);
            var hidden = decoder.Forward(x, rows, cache, memory, B, scratch, trace: null);
            logits = scratch.Get("music.logits", sequences, K * N);
            decoder.Logits(hidden, logits);
        }
        backend.Synchronize();
        return codes;
    }

    /// <summary>Positions 0 … known − 1 of every sequence in one launch; returns each sequence's last logits [sequences, K·N].</summary>
    DeviceTensor Prefill(int[][] codes, int frames, int known, int[] slots, PagedKvCache cache, CrossMemory memory, int candidates,
        ScratchTensors scratch)
    {
        int K = decoder.Codebooks, N = decoder.CodebookSize, sequences = slots.Length, n = sequences * known;
        var ids = new int[K * n];
        var rowSlots = new int[n];
        var rowPositions = new int[n];
        for (int s = 0; s < sequences; s++)
        {
            // Frames at or past the prompt are not read here: known − 1 = Tp steps only reach frames < Tp.
            int[] input = DelayPattern.InputIds(codes[s % candidates], K, frames, N, known);
            for (int p = 0; p < known; p++)
            {
                int r = s * known + p;
                rowSlots[r] = slots[s];
                rowPositions[r] = p;
                for (int k = 0; k < K; k++) ids[k * n + r] = input[p * K + k];
            }
        }
        cache.Reserve(slots.Select(s => (s, known)).ToArray());
        cache.SyncTables();
        using var deviceIds = backend.UploadInts(ids, K * n);
        using var rowSlot = backend.UploadInts(rowSlots, n);
        using var rowPosition = backend.UploadInts(rowPositions, n);
        var rows = cache.Rows(rowSlot, rowPosition, 0);
        var x = scratch.Get("prefill.x", n, decoder.ModelWidth);
        decoder.Embed(deviceIds, rows, x, scratch);
        // The null twins are rows [candidates · known, n): sequences are candidates first, then their twins.
        var hidden = decoder.Forward(x, rows, cache, memory, candidates * known, scratch, trace: null);
        var last = scratch.Get("prefill.last", sequences, decoder.ModelWidth);
        for (int s = 0; s < sequences; s++) backend.CopyRows(hidden, s * known + known - 1, last, s, 1);
        var logits = scratch.Get("music.logits", sequences, K * N);
        decoder.Logits(last, logits);
        backend.Synchronize(); // the id and layout tensors are freed on return
        return logits;
    }
}
