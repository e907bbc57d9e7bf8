using System.Text.Json.Nodes;
using V2Meow.Loaders.Bundles;
using V2Meow.Numerics;
using V2Meow.Runtime.Codecs;
using V2Meow.Runtime.Families.V2Meow;
using V2Meow.Runtime.Transformer;
using V2Meow.Tests.Backends;

namespace V2Meow.Tests.Runtime;

/// <summary>
/// Generation of the three stages: greedy decoding agrees with teacher-forced logits, a seed repeats
/// exactly (on both backends, and across them), tokens stay inside their level's range, and stage 3's
/// windows are independent of each other and of how they are batched.
/// </summary>
public class GenerationTests(BackendFixture backends) : IClassFixture<BackendFixture>
{
    public static TheoryData<string> Backends => BackendFixture.Names;

    static int ArgMax(ReadOnlySpan<float> row, int lo, int hi)
    {
        int best = lo;
        for (int i = lo + 1; i < hi; i++)
            if (row[i] > row[best]) best = i;
        return best;
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void GreedyDecodingFollowsTheTeacherForcedArgmax(string backendName)
    {
        var backend = backends.Get(backendName);
        using var bundle = Bundle.Open(GoldenSets.Bundle("enc_dec"));
        using var stage = SemanticToCoarseStage.Load(bundle, backend); // the encoder–decoder variant
        var input = StageInputs.Encoder(bundle, "enc_dec", "stage2");
        int[] semantic = [3, 1, 4, 1, 5, 9, 2, 6];
        var coarse = stage.Generate([semantic], frames: 5, input, new StageSampling(Temperature: 0))[0];

        int[] sequence = stage.Sequence(semantic, coarse);
        float[] logits = stage.TeacherForcedLogits(sequence, input);
        int vocab = stage.Vocabulary, prompt = semantic.Length + 1;
        for (int k = 0; k < coarse.Codes.Length; k++)
        {
            var range = stage.Range(k);
            var row = logits.AsSpan((prompt + k - 1) * vocab, vocab);
            Assert.Equal(ArgMax(row, range.Lo, range.Hi), sequence[prompt + k]);
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Stage1DecodingStepsAreTimedByTheirPositions(string backendName)
    {
        // enc_dec's stage 1 has a time embedding (SPEC §6.8): a decode step looks its row up by cache position,
        // the teacher-forced pass by sequence index; greedy tokens agree only if both give the same times.
        var backend = backends.Get(backendName);
        using var bundle = Bundle.Open(GoldenSets.Bundle("enc_dec"));
        Assert.NotNull(bundle.Config.Stage1.TimeEmbedding);
        using var stage = VideoToSemanticStage.Load(bundle, backend);
        var input = StageInputs.Encoder(bundle, "enc_dec", "stage1");
        int[] carried = [5, 7];
        var semantic = stage.Continue(input, [carried], 6, new StageSampling(Temperature: 0), firstToken: 2)[0];

        int[] sequence = stage.Sequence([.. carried, .. semantic]);
        float[] logits = stage.TeacherForcedLogits(sequence, input);
        int vocab = stage.Vocabulary, prompt = carried.Length + 1;
        for (int k = 0; k < semantic.Length; k++)
            Assert.Equal(ArgMax(logits.AsSpan((prompt + k - 1) * vocab, vocab), 0, bundle.Config.Tokens.SemanticCodes), semantic[k]);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void ASeedRepeatsExactly(string backendName)
    {
        var backend = backends.Get(backendName);
        using var bundle = Bundle.Open(GoldenSets.Bundle("tiny"));
        using var stage = VideoToSemanticStage.Load(bundle, backend);
        var input = StageInputs.Encoder(bundle, "tiny", "stage1");
        var sampling = new StageSampling(Seed: 12345, Candidates: 3);
        // Few tokens: every decode step is ~40 kernel launches, which ILGPU's CPU accelerator emulates slowly.
        var first = stage.Generate(input, 8, sampling);
        var again = stage.Generate(input, 8, sampling);
        Assert.Equal(first, again);
        Assert.All(first, tokens => Assert.All(tokens, t => Assert.InRange(t, 0, bundle.Config.Tokens.SemanticCodes - 1)));
        // Candidates draw from different streams; at temperature 1 over 64 ids they do not all agree.
        Assert.False(first[0].SequenceEqual(first[1]) && first[1].SequenceEqual(first[2]));
        var otherSeed = stage.Generate(input, 8, sampling with { Seed = 54321 });
        Assert.NotEqual(first, otherSeed);
    }

    [Fact]
    public void BackendsDrawTheSameTokens()
    {
        // The logits agree to ~1e-6 and the draws are the same numbers, so the tokens agree unless a
        // draw lands within 1e-6 of a boundary between two ids.
        var results = new List<int[][]>();
        foreach (var name in new[] { "cpu", "ilgpu-cpu" })
        {
            using var bundle = Bundle.Open(GoldenSets.Bundle("odd"));
            using var stage = SemanticToCoarseStage.Load(bundle, backends.Get(name));
            results.Add(stage.Generate([[1, 2, 3, 4, 5]], frames: 10, sampling: new StageSampling(Seed: 7, Candidates: 2)) // interleaved: 2 frames a token
                .Select(c => c.Codes).ToArray());
        }
        Assert.Equal(results[0], results[1]);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void CodesStayInRangeAndTopOneIsGreedy(string backendName)
    {
        var backend = backends.Get(backendName);
        using var bundle = Bundle.Open(GoldenSets.Bundle("odd"));
        using var stage = SemanticToCoarseStage.Load(bundle, backend);
        int[][] semantic = [[0, 10, 20], [49, 48, 47]];
        var hot = stage.Generate(semantic, frames: 6, sampling: new StageSampling(Temperature: 5, Seed: 3, Candidates: 2));
        Assert.All(hot, c => Assert.All(c.Codes, code => Assert.InRange(code, 0, bundle.Config.Tokens.CodebookSize - 1)));
        Assert.All(hot, c => Assert.Equal((3, 6), (c.Levels, c.Frames)));
        var topOne = stage.Generate(semantic, frames: 6, sampling: new StageSampling(Temperature: 1, TopK: 1, Seed: 3, Candidates: 2));
        var greedy = stage.Generate(semantic, frames: 6, sampling: new StageSampling(Temperature: 0, Candidates: 2));
        Assert.Equal(greedy.Select(c => c.Codes), topOne.Select(c => c.Codes));
    }

    [Fact]
    public void FineWindowsAreIndependentAndBatchedAlike()
    {
        // The tiny bundle with 5-frame stage-3 windows: 12 coarse frames make windows of 5, 5 and 2.
        using var folder = new TempDirectory();
        foreach (var file in Directory.GetFiles(GoldenSets.Bundle("tiny")))
            File.Copy(file, folder.File(Path.GetFileName(file)));
        var config = JsonNode.Parse(File.ReadAllText(folder.File("config.json")))!;
        config["windows"]!["stage3_seconds"] = 0.1;
        File.WriteAllText(folder.File("config.json"), config.ToJsonString());

        var backend = backends.Get("cpu");
        using var bundle = Bundle.Open(folder.Path);
        using var stage = CoarseToFineStage.Load(bundle, backend);
        Assert.Equal(5, stage.WindowFrames);
        var random = new Random(5);
        var coarse = Enumerable.Range(0, 2).Select(_ => new AcousticCodes(2, 12, Enumerable.Range(0, 24).Select(_ => random.Next(32)).ToArray())).ToArray();

        var greedy = new StageSampling(Temperature: 0, Candidates: 2);
        var fine = stage.Generate(coarse, greedy);
        Assert.All(fine, f => Assert.Equal((2, 12), (f.Levels, f.Frames)));
        for (int b = 0; b < 2; b++)
            foreach (var (start, length) in new[] { (0, 5), (5, 5), (10, 2) })
            {
                var alone = stage.Generate([coarse[b].Slice(start, length)], new StageSampling(Temperature: 0))[0];
                Assert.Equal(alone.Codes, fine[b].Slice(start, length).Codes);
            }

        var sampled = new StageSampling(Seed: 99, Candidates: 2);
        Assert.Equal(stage.Generate(coarse, sampled).Select(f => f.Codes), stage.Generate(coarse, sampled).Select(f => f.Codes));
    }

    /// <summary>SPEC §8.2 in float64, written out again for the test: argmax at T = 0, else the running sum.</summary>
    static int SpecSample(ReadOnlySpan<float> row, TokenRange range, double temperature, double u)
    {
        if (temperature == 0) return ArgMax(row, range.Lo, range.Hi);
        double max = double.NegativeInfinity, total = 0;
        for (int i = range.Lo; i < range.Hi; i++) max = Math.Max(max, row[i]);
        for (int i = range.Lo; i < range.Hi; i++) total += Math.Exp((row[i] - max) / temperature);
        double running = 0;
        for (int i = range.Lo; i < range.Hi; i++)
        {
            running += Math.Exp((row[i] - max) / temperature);
            if (running > u * total) return i;
        }
        return range.Hi - 1;
    }

    [Theory]
    [InlineData("tiny")] // prefix layout
    [InlineData("odd")]  // interleaved: 2 frames of 3 levels after each semantic token
    public void DrawsFollowTheSpecStreamsAndCounters(string set)
    {
        // SPEC §8.1: stage N draws from stream N with counter = the token's index in the stage's output;
        // candidate b adds b · 2^32 to the stream; fed semantic tokens draw nothing. Replaying each draw on the
        // teacher-forced logits of the generated sequence must pick the same ids (they differ from
        // generation's logits by ~1e-6, so a draw within that of a boundary could flip; none does for these seeds).
        var backend = backends.Get("cpu");
        using var bundle = Bundle.Open(GoldenSets.Bundle(set));
        using var stage = SemanticToCoarseStage.Load(bundle, backend);
        int levels = bundle.Config.Tokens.CoarseLevels, r = stage.FramesPerGroup;
        int[] semantic = [4, 8, 15, 16, 23, 42];
        var carried = new AcousticCodes(levels, r, Enumerable.Range(1, levels * r).ToArray());
        const ulong seed = 2024;
        const long firstFrame = 7;
        var coarse = stage.Continue([semantic], [carried], frames: 5 * r, sampling: new StageSampling(Temperature: 0.8, Seed: seed, Candidates: 2), firstFrame: firstFrame);
        int prompt = stage.Sequence(stage.IsInterleaved ? semantic.AsSpan(0, 2) : semantic, carried).Length;
        for (int b = 0; b < 2; b++)
        {
            int[] sequence = stage.Sequence(semantic, AcousticCodes.Concatenate([carried, coarse[b]]));
            float[] logits = stage.TeacherForcedLogits(sequence);
            int vocab = stage.Vocabulary, k = 0;
            for (int pos = prompt; pos < sequence.Length; pos++)
            {
                if (sequence[pos] <= stage.Separator)
                {
                    Assert.True(stage.IsInterleaved, "a semantic token among the prefix layout's coarse tokens");
                    Assert.Equal(semantic[pos / stage.GroupLength], sequence[pos]); // fed, at the head of its group
                    continue;
                }
                double u = CounterRng.Uniform(seed, 2 + (ulong)b * (1UL << 32), (ulong)(firstFrame * levels + k));
                int expected = SpecSample(logits.AsSpan((pos - 1) * vocab, vocab), stage.Range(k), 0.8, u);
                Assert.Equal(expected, sequence[pos]);
                k++;
            }
            Assert.Equal(5 * r * levels, k);
        }
    }

    [Fact]
    public void EachCandidateIsFedItsOwnSemanticTokens()
    {
        // Two candidates with different semantic tokens, greedy: each must equal its own single-candidate run,
        // so no row is fed another row's tokens (interleaved) or prompted with them (both layouts).
        foreach (var set in new[] { "odd", "tiny" })
        {
            using var bundle = Bundle.Open(GoldenSets.Bundle(set));
            using var stage = SemanticToCoarseStage.Load(bundle, backends.Get("cpu"));
            int r = stage.FramesPerGroup;
            int[][] semantic = [[1, 2, 3, 4], [40, 30, 20, 10]];
            var carried = new AcousticCodes(bundle.Config.Tokens.CoarseLevels, r, new int[bundle.Config.Tokens.CoarseLevels * r]);
            var both = stage.Continue(semantic, [carried], 3 * r, sampling: new StageSampling(Temperature: 0, Candidates: 2));
            for (int b = 0; b < 2; b++)
                Assert.Equal(stage.Continue([semantic[b]], [carried], 3 * r, sampling: new StageSampling(Temperature: 0))[0].Codes, both[b].Codes);
            Assert.NotEqual(both[0].Codes, both[1].Codes);
        }
    }

    [Fact]
    public void InterleavedWindowsAreWholeGroups()
    {
        using var bundle = Bundle.Open(GoldenSets.Bundle("odd"));
        using var stage = SemanticToCoarseStage.Load(bundle, backends.Get("cpu"));
        Assert.Equal(7, stage.GroupLength);
        Assert.Equal(4 * 25 * 7, stage.WindowLength); // 4 s of semantic tokens, each with 2 frames of 3 levels
        var half = new AcousticCodes(3, 1, [1, 2, 3]);
        var e = Assert.Throws<ArgumentException>(() => stage.Continue([[1, 2]], [half], 3));
        Assert.Contains("whole groups of 2 frames", e.Message);
        e = Assert.Throws<ArgumentException>(() => stage.Generate([[1, 2, 3]], frames: 4));
        Assert.Contains("whole groups of 2 frames", e.Message);
        e = Assert.Throws<ArgumentException>(() => stage.Sequence([1, 2, 3], new AcousticCodes(3, 3, new int[9])));
        Assert.Contains("3 coarse frames for 3 semantic tokens", e.Message);
        e = Assert.Throws<ArgumentException>(() => stage.Generate([[1, 50]], frames: 4)); // 50 is SEP, not a semantic token
        Assert.Contains("semantic token 50 is outside [0, 50)", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => stage.Continue([[1]], [new AcousticCodes(3, 4, new int[12])], -2));
    }

    [Fact]
    public void NoStageRunsPastItsWindow()
    {
        using var bundle = Bundle.Open(GoldenSets.Bundle("tiny"));
        using var stage = VideoToSemanticStage.Load(bundle, backends.Get("cpu"));
        Assert.Equal(251, stage.WindowLength); // BOS + 10 s at 25 Hz (SPEC §4)
        var input = StageInputs.Encoder(bundle, "tiny", "stage1");
        var e = Assert.Throws<ArgumentException>(() => stage.Continue(input, [new int[200]], 51));
        Assert.Contains("252 decoder positions exceed one window of 251", e.Message);
    }
}
