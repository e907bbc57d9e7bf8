using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Families.V2Meow;
using V2Meow.Runtime.Transformer;
using V2Meow.Tests.Backends;
using static V2Meow.Tests.Backends.Float64Reference;

namespace V2Meow.Tests.Runtime;

/// <summary>
/// The paged KV cache: decoding through it one token at a time gives the logits of a full forward pass;
/// forked sequences share their prompt's blocks and copy a shared block before writing it; an exhausted
/// pool is an error that changes nothing.
/// </summary>
public class PagedKvCacheTests(BackendFixture backends) : IClassFixture<BackendFixture>
{
    public static TheoryData<string> Backends => BackendFixture.Names;

    // Both backends sum in f32 in other orders than the full pass does: 1e-5 of the logits' scale is
    // ten times the spread seen, and a thousand times below any real cache error.
    const double Tolerance = 1e-5;

    static double Relative(float[] actual, float[] expected) => RelativeError(actual, expected.Select(v => (double)v).ToArray());

    static PagedKvCache NewCache(IComputeBackend backend, StageDecoder model, int blocks, int blockSize = 16) =>
        new(backend, model.Decoder.Layers, model.Decoder.Heads.Inner, blocks, maxSequences: 4, maxLength: 64, blockSize);

    /// <summary>The tiny set's stage 3 (decoder only) and its golden input tokens.</summary>
    sealed class TinyStage3 : IDisposable
    {
        readonly Bundle _bundle = Bundle.Open(GoldenSets.Bundle("tiny"));
        public StageModel Model { get; }
        /// <summary>The same stage's decoder on its own, for driving the cache step by step.</summary>
        public StageDecoder Decoder { get; }
        public int[] Tokens { get; } = StageInputs.Tokens("tiny", "stage3");

        public TinyStage3(IComputeBackend backend)
        {
            Model = StageModel.Load(_bundle, StageId.Stage3, backend);
            Decoder = new StageDecoder(_bundle, StageId.Stage3, backend);
        }

        public void Dispose()
        {
            Decoder.Dispose();
            Model.Dispose();
            _bundle.Dispose();
        }
    }

    [Theory]
    [InlineData("cpu", 1)]
    [InlineData("cpu", 15)]
    [InlineData("cpu", 16)]
    [InlineData("cpu", 17)]
    [InlineData("cpu", 33)]
    [InlineData("ilgpu-cpu", 1)]
    [InlineData("ilgpu-cpu", 15)]
    [InlineData("ilgpu-cpu", 16)]
    [InlineData("ilgpu-cpu", 17)]
    [InlineData("ilgpu-cpu", 33)]
    public void IncrementalDecodingEqualsAFullForward(string backendName, int length)
    {
        var backend = backends.Get(backendName);
        using var stage = new TinyStage3(backend);
        var model = stage.Model;
        int[] tokens = stage.Tokens[..length];
        float[] full = model.TeacherForced(tokens, memory: null, trace: null);

        using var cache = NewCache(backend, stage.Decoder, blocks: 4);
        int slot = cache.Create();
        float[] incremental = new CacheStepper(backend, stage.Decoder, cache).RunOneByOne(slot, tokens, 0);
        Assert.True(Relative(incremental, full) < Tolerance, $"length {length}: {Relative(incremental, full):E2}");
        Assert.Equal((length + 15) / 16, cache.BlocksOf(slot).Count);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void ChunkedPrefillThenStepsMatchTheReferenceWithCrossAttention(string backendName)
    {
        // Stage 1 has cross-attention; the golden logits come from PyTorch's uncached forward.
        var backend = backends.Get(backendName);
        using var bundle = Bundle.Open(GoldenSets.Bundle("enc_dec"));
        using var model = StageModel.Load(bundle, StageId.Stage1, backend);
        using var decoder = new StageDecoder(bundle, StageId.Stage1, backend);
        int[] tokens = StageInputs.Tokens("enc_dec", "stage1");
        float[] golden = StageInputs.Logits("enc_dec", "stage1");
        using var memory = model.Encode(StageInputs.Encoder(bundle, "enc_dec", "stage1"), trace: null);
        using var cache = NewCache(backend, decoder, blocks: 3);
        int slot = cache.Create();
        var stepper = new CacheStepper(backend, decoder, cache, memory);
        float[] logits = [.. stepper.Run(slot, tokens[..20], 0), .. stepper.RunOneByOne(slot, tokens[20..], 20)];
        // The golden tolerance for f32 weights (1e-4), as verify applies it.
        Assert.True(Relative(logits, golden) < 1e-4, $"{Relative(logits, golden):E2}");
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void ForkedCandidatesShareTheirPromptAndCopyBeforeWriting(string backendName)
    {
        var backend = backends.Get(backendName);
        using var stage = new TinyStage3(backend);
        var model = stage.Model;
        int[] all = stage.Tokens;
        int[] prompt = all[..20], first = all[20..25], second = all[25..30];

        using var cache = NewCache(backend, stage.Decoder, blocks: 8);
        var stepper = new CacheStepper(backend, stage.Decoder, cache);
        int parent = cache.Create();
        stepper.Run(parent, prompt, 0);
        int a = cache.Fork(parent), b = cache.Fork(parent);
        cache.Free(parent);
        Assert.Equal(cache.BlocksOf(a), cache.BlocksOf(b));
        Assert.Equal(2, cache.ReferencesOf(cache.BlocksOf(a)[0]));
        Assert.Equal(8 - 2, cache.FreeBlocks);

        float[] fromA = stepper.RunOneByOne(a, first, 20);
        float[] fromB = stepper.RunOneByOne(b, second, 20);

        // The full block stays shared; the partly filled one was copied on the first write.
        Assert.Equal(cache.BlocksOf(a)[0], cache.BlocksOf(b)[0]);
        Assert.NotEqual(cache.BlocksOf(a)[1], cache.BlocksOf(b)[1]);
        Assert.Equal(8 - 3, cache.FreeBlocks);

        float[] fullA = model.TeacherForced([.. prompt, .. first], null, null);
        float[] fullB = model.TeacherForced([.. prompt, .. second], null, null);
        int vocab = model.Vocabulary;
        Assert.True(Relative(fromA, fullA[(20 * vocab)..]) < Tolerance);
        Assert.True(Relative(fromB, fullB[(20 * vocab)..]) < Tolerance);

        cache.Free(a);
        cache.Free(b);
        Assert.Equal(8, cache.FreeBlocks);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void AnExhaustedPoolFailsClearlyAndCorruptsNothing(string backendName)
    {
        var backend = backends.Get(backendName);
        using var stage = new TinyStage3(backend);
        var model = stage.Model;
        int[] tokens = stage.Tokens;
        float[] full = model.TeacherForced(tokens[..24], null, null);

        using var cache = NewCache(backend, stage.Decoder, blocks: 3, blockSize: 8);
        var stepper = new CacheStepper(backend, stage.Decoder, cache);
        int a = cache.Create();
        stepper.Run(a, tokens[..20], 0); // 3 blocks of 8: the whole pool
        int b = cache.Fork(a);
        var blocksBefore = cache.BlocksOf(a).ToArray();

        // b must copy the shared last block before writing position 20, and a needs no new block for
        // 21..24, but no block is free: all or nothing, so neither moves.
        var e = Assert.Throws<DeviceException>(() => cache.Reserve([(a, 24), (b, 21)]));
        Assert.Contains("pool exhausted", e.Message);
        Assert.Contains("1 more blocks of 8 positions needed, 0 of 3 free", e.Message);
        Assert.Equal(20, cache.Length(a));
        Assert.Equal(20, cache.Length(b));
        Assert.Equal(blocksBefore, cache.BlocksOf(a));
        Assert.Equal(blocksBefore, cache.BlocksOf(b));
        Assert.Equal(0, cache.FreeBlocks);

        // Letting b go frees its share; a carries on, and its earlier positions were not touched.
        cache.Free(b);
        float[] rest = stepper.RunOneByOne(a, tokens[20..24], 20);
        int vocab = model.Vocabulary;
        Assert.True(Relative(rest, full[(20 * vocab)..]) < Tolerance);

        var tooLong = Assert.Throws<DeviceException>(() => cache.Reserve(a, 65));
        Assert.Contains("at most 64 per sequence", tooLong.Message);
    }
}
