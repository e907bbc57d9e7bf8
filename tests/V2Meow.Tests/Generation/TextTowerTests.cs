using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime;
using V2Meow.Runtime.Generation;
using V2Meow.Tests.Video;

namespace V2Meow.Tests.Generation;

[Collection(MediaCollection.Name)]
public class TextTowerTests(TestMedia media, DefaultPipelineFixture fixture) : IClassFixture<DefaultPipelineFixture>
{
    [Fact]
    public void EmbeddingIsTheNormalisedSumOfTheWordVectors()
    {
        var tower = fixture.Pipeline.TextTower;
        Assert.NotNull(tower);
        using var file = SafetensorsFile.Open(Path.Combine(DefaultModel.EnsureUnpacked(), "text_tower.safetensors"));
        float[] table = file.Get("embeddings").ToFloat32();
        int dim = tower.Dim, slow = tower.Words.ToList().IndexOf("slow"), drums = tower.Words.ToList().IndexOf("drums");
        Assert.True(slow >= 0 && drums >= 0, "the default model's tower knows 'slow' and 'drums'");

        // "Slow" twice, "drums" once, an unknown word ignored, case folded: float64 reference of SPEC's formula.
        float[] style = tower.Embed("Slow slow; DRUMS, violins");
        var expected = Enumerable.Range(0, dim).Select(j => 2.0 * table[slow * dim + j] + table[drums * dim + j]).ToArray();
        double norm = Math.Sqrt(expected.Sum(v => v * v));
        for (int j = 0; j < dim; j++) Assert.Equal(expected[j] / norm, style[j], 6);
        Assert.Throws<ArgumentException>(() => tower.Embed("violins only"));
    }

    [Theory]
    [InlineData("slow 80 bpm; A minor; folk; guitar, strings", "slow|80|bpm|a|minor|folk|guitar|strings")]
    [InlineData("  Fast\tDRUMS\n", "fast|drums")]
    [InlineData(",;; ,", "")]
    [InlineData("rock\u00a0pop,,piano", "rock|pop|piano")]
    public void WhitespaceCommasAndSemicolonsSeparateWords(string prompt, string words)
    {
        Assert.Equal(words, string.Join("|", TextTower.WordsOf(prompt)));
    }

    [Fact]
    public async Task APromptChangesWhatIsGenerated()
    {
        var input = new VideoInput { VideoPath = media.OddSize };
        var options = new GenerationOptions { Seed = 11 };
        var slow = await fixture.Pipeline.GenerateAsync(input with { Prompt = "slow ambient minor pad strings" }, options);
        var fast = await fixture.Pipeline.GenerateAsync(input with { Prompt = "fast rock major guitar drums" }, options);
        Assert.NotEqual(slow.SemanticTokens[0], fast.SemanticTokens[0]);
        await Assert.ThrowsAsync<ArgumentException>(() =>
            fixture.Pipeline.GenerateAsync(input with { Prompt = "slow", StyleEmbedding = new float[128] }, options));
    }
}
