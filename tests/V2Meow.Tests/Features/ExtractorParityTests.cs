using System.Globalization;
using System.Text.Json;
using V2Meow.Loaders.Features;

namespace V2Meow.Tests.Features;

/// <summary>
/// The C# <see cref="BuiltInVisualExtractor"/> against its Python twin, weights-spec/reference/extractor.py, on
/// real video files: the models in training/ learn from the Python features and the runtime feeds them the
/// C# ones, so the two must agree. Needs /usr/bin/python3 (or python3 on PATH) with numpy, and ffmpeg.
/// </summary>
public class ExtractorParityTests
{
    // Both read the same bytes from the same ffmpeg command and use the same arithmetic (integer sums,
    // sequential double sums, one cast to float32 at the end), so the rows are expected to be bit-identical;
    // 1e-6 leaves room only for a double that rounds to float32 differently after a summation-order change.
    const float Tolerance = 1e-6f;

    static float[,] PythonRows(string root, string video, double fps)
    {
        string json = ReferenceProcess.Run(ReferenceProcess.Python, [Path.Combine(root, "weights-spec", "reference", "extractor.py"), video,
            "--fps", fps.ToString("R", CultureInfo.InvariantCulture), "--json"], root);
        using var document = JsonDocument.Parse(json);
        var rows = document.RootElement.GetProperty("rows");
        var result = new float[rows.GetArrayLength(), BuiltInVisualExtractor.Dimension];
        int i = 0;
        foreach (var row in rows.EnumerateArray())
        {
            Assert.Equal(BuiltInVisualExtractor.Dimension, row.GetArrayLength());
            int j = 0;
            foreach (var v in row.EnumerateArray()) result[i, j++] = (float)v.GetDouble();
            i++;
        }
        return result;
    }

    static async Task AssertSameRows(string root, string video, double fps, int expectedRows)
    {
        var csharp = (await new BuiltInVisualExtractor().ExtractAsync(video, fps)).Dense!;
        var python = PythonRows(root, video, fps);
        Assert.Equal(expectedRows, csharp.GetLength(0));
        Assert.Equal(csharp.GetLength(0), python.GetLength(0));
        for (int i = 0; i < csharp.GetLength(0); i++)
            for (int j = 0; j < BuiltInVisualExtractor.Dimension; j++)
                Assert.True(Math.Abs(csharp[i, j] - python[i, j]) <= Tolerance,
                    $"{Path.GetFileName(video)} row {i} '{BuiltInVisualExtractor.FeatureNames[j]}': " +
                    $"C# {csharp[i, j]:R}, Python {python[i, j]:R} (tolerance {Tolerance})");
    }

    [Theory]
    [InlineData(1.0, 4)]  // 3.5 s: the last row has 4 of its 8 sub-frames
    [InlineData(2.0, 7)]
    public async Task SyntheticCorpusClipGivesTheSameRows(double fps, int expectedRows)
    {
        string root = ReferenceProcess.RepositoryRoot();
        using var temp = new TempDirectory();
        string video = temp.File("clip.mp4");
        // A clip of the training corpus (moving shapes, a pan, flashes, cuts), 224x128 at 24 fps, H.264.
        ReferenceProcess.Run(ReferenceProcess.Python, [Path.Combine(root, "training", "corpus.py"), "video", "--seed", "4242", "--index", "3",
            "--seconds", "3.5", "--out", video], root);
        await AssertSameRows(root, video, fps, expectedRows);
    }

    [Fact]
    public async Task ScaledDownTestPatternGivesTheSameRows()
    {
        string root = ReferenceProcess.RepositoryRoot();
        using var temp = new TempDirectory();
        string video = temp.File("pattern.mp4");
        // 320x240 at 30 fps: scaled with area averaging to 170x128, frame times off the sub-frame grid.
        ReferenceProcess.Run("ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
            "-i", "testsrc2=size=320x240:rate=30", "-t", "2.3", "-c:v", "libx264", "-pix_fmt", "yuv420p", video], root);
        await AssertSameRows(root, video, 1.0, 3);
    }
}
