using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using V2Meow.Cli;
using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Features;
using V2Meow.Loaders.Safetensors;
using V2Meow.Loaders.Video;
using V2Meow.Runtime;

namespace V2Meow.Tests.Loaders;

/// <summary>
/// Bundles and feature files as a hostile user could build them: configs whose numbers overflow, files
/// that are devices, FIFOs or links, metadata that disagrees with config.json, weights that are not
/// finite. Each gives one typed error naming the file and what was expected; a valid layout loads.
/// </summary>
public class HostileBundleTests
{
    static readonly TimeSpan Guard = TimeSpan.FromMinutes(2);

    static string TinyConfig => File.ReadAllText(Path.Combine(GoldenSets.Bundle("tiny"), "config.json"));

    static string Edit(string json, string path, string value, params (string Path, string Value)[] more)
    {
        var root = JsonNode.Parse(json)!;
        foreach (var (at, v) in new[] { (path, value) }.Concat(more))
        {
            string[] keys = at.Split('.');
            JsonNode node = root;
            foreach (string key in keys[..^1]) node = node[key] ??= new JsonObject();
            node[keys[^1]] = JsonNode.Parse(v);
        }
        return root.ToJsonString();
    }

    public static TheoryData<string, string, string> FieldsOutOfRange() => new()
    {
        { "windows.stage1_seconds", "1e9", "windows.stage1_seconds" },
        { "stage1.rel_max_distance", "2147483647", "stage1.rel_max_distance" },
        { "stage1.rel_max_distance", "100000000", "stage1.rel_max_distance" },
        { "stage1.encoder_layers", "2147483647", "stage1.encoder_layers" },
        { "rates.video_fps", "1e6", "rates.video_fps" },
        { "rates.video_fps", "1e-300", "rates.video_fps" },
        { "tokens.semantic_codes", "2147483647", "tokens.semantic_codes" },
        { "stage2.d_model", "2147483647", "stage2.d_model" },
        { "temperatures.stage1", "1e300", "temperatures.stage1" },
    };

    [Theory]
    [MemberData(nameof(FieldsOutOfRange))]
    public void EveryNumericFieldHasARange(string field, string value, string expected)
    {
        var e = Assert.Throws<BundleException>(() => BundleConfigReader.Parse(Edit(TinyConfig, field, value), "config.json"));
        Assert.StartsWith($"config.json: {expected}: expected", e.Message);
    }

    [Fact]
    public void StridesWhoseProductWrapsAnIntAreRefused()
    {
        // 64 × 67108869 wraps a 32-bit int to 320, and 50 Hz × 320 is a plausible 16000 Hz.
        string json = Edit(TinyConfig, "codec.strides", "[64, 67108869]", ("codec.channels", "[8, 8, 8]"), ("rates.sample_rate", "16000"));
        var e = Assert.Throws<BundleException>(() => BundleConfigReader.Parse(json, "config.json"));
        Assert.Contains("codec.strides", e.Message);
    }

    [Fact]
    public void NullIsNotTheDefault()
    {
        var e = Assert.Throws<BundleException>(() => BundleConfigReader.Parse(Edit(TinyConfig, "rates", "null"), "config.json"));
        Assert.Equal("config.json: rates: expected a value, found null; leave the field out to take its default", e.Message);
    }

    [Fact]
    public void ADuplicateKeyIsRefused()
    {
        string json = TinyConfig.Replace("\"d_model\": 32,", "\"d_model\": 32, \"d_model\": 64,");
        Assert.NotEqual(TinyConfig, json);
        var e = Assert.Throws<BundleException>(() => BundleConfigReader.Parse(json, "config.json"));
        Assert.Contains("d_model", e.Message);
    }

    [Fact]
    public void AConfigLinkedToADeviceIsRefused()
    {
        using var bundle = CopyOf(GoldenSets.Bundle("tiny"));
        ReplaceWithLink(bundle.File("config.json"), "/dev/zero");
        var e = Assert.Throws<BundleException>(() => Bundle.Open(bundle.Path));
        Assert.Equal($"{bundle.File("config.json")}: is a character device, not a regular file", e.Message);
    }

    [Fact]
    public void AnOversizedConfigIsRefusedUnread()
    {
        using var bundle = CopyOf(GoldenSets.Bundle("tiny"));
        File.WriteAllText(bundle.File("config.json"), Edit(TinyConfig, "name", $"\"{new string('x', 2 << 20)}\""));
        var e = Assert.Throws<BundleException>(() => Bundle.Open(bundle.Path));
        Assert.Contains("config.json is at most 1048576 bytes", e.Message);
    }

    [Fact]
    public async Task AConfigThatIsAFifoIsRefusedNotWaitedOn()
    {
        using var bundle = CopyOf(GoldenSets.Bundle("tiny"));
        File.Delete(bundle.File("config.json"));
        Video.HostileVideoTests.MakeFifo(bundle, "config.json");
        var e = await Assert.ThrowsAsync<BundleException>(() => Task.Run(() => Bundle.Open(bundle.Path).Dispose()).WaitAsync(Guard));
        Assert.Contains("config.json: is a FIFO (named pipe)", e.Message);
    }

    [Fact]
    public async Task AComponentThatIsADeviceIsOneErrorLine()
    {
        using var bundle = CopyOf(GoldenSets.Bundle("tiny"));
        ReplaceWithLink(bundle.File("stage3.safetensors"), "/dev/zero");
        var (code, error) = await Inspect(bundle.Path);
        Assert.Equal(2, code);
        Assert.Equal($"error: {bundle.File("stage3.safetensors")}: is a character device, not a regular file", error.Trim());
    }

    [Fact]
    public async Task ABundleLaidOutLikeAHuggingFaceCacheLoads()
    {
        // snapshots/<rev>/stage1.safetensors → ../../blobs/<hash>: the links' own sizes are not the files'.
        using var cache = new TempDirectory();
        string blobs = Directory.CreateDirectory(cache.File("blobs")).FullName;
        string snapshot = Directory.CreateDirectory(cache.File(Path.Combine("snapshots", "0123abc"))).FullName;
        int n = 0;
        foreach (string file in Directory.GetFiles(GoldenSets.Bundle("tiny")))
        {
            string blob = Path.Combine(blobs, $"blob{n++:x8}");
            File.Copy(file, blob);
            File.CreateSymbolicLink(Path.Combine(snapshot, Path.GetFileName(file)), Path.Combine("..", "..", "blobs", Path.GetFileName(blob)));
        }
        using (var bundle = Bundle.Open(snapshot))
            Assert.Equal(BundleLayout.Expected(bundle.Config, "stage1").Count, bundle.Component("stage1").Tensors.Count);
        var (code, error) = await Inspect(snapshot);
        Assert.True(code == 0, error);
    }

    public static TheoryData<string, string, string, string> ConfigEditsTheFilesDisagreeWith() => new()
    {
        { "stage1.activation", "\"relu\"", "stage1.safetensors", "'activation'" },
        { "stage2.attention_scale", "0.5", "stage2.safetensors", "'attention_scale'" },
        { "stage3.norm_eps", "1e-5", "stage3.safetensors", "'norm_eps'" },
        { "codec.padding", "\"centred\"", "codec.safetensors", "'padding'" },
    };

    [Theory]
    [MemberData(nameof(ConfigEditsTheFilesDisagreeWith))]
    public void EachFilesConfigMetadataMustMatchConfigJson(string field, string value, string file, string named)
    {
        using var bundle = CopyOf(GoldenSets.Bundle("tiny"));
        File.WriteAllText(bundle.File("config.json"), Edit(TinyConfig, field, value));
        var e = Assert.Throws<BundleException>(() => Bundle.Open(bundle.Path));
        Assert.StartsWith($"{bundle.File(file)}: __metadata__ 'config': field {named}", e.Message);
    }

    [Fact]
    public void AComponentWithoutConfigMetadataIsRefused()
    {
        using var bundle = CopyOf(GoldenSets.Bundle("tiny"));
        Rewrite(bundle.File("stage2.safetensors"), metadata => metadata.Remove("config"), (_, _) => { });
        var e = Assert.Throws<BundleException>(() => Bundle.Open(bundle.Path));
        Assert.StartsWith($"{bundle.File("stage2.safetensors")}: __metadata__ 'config': missing", e.Message);
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "+Inf")]
    public void NonFiniteWeightsAreNamedAtLoad(float poison, string shown)
    {
        using var bundle = CopyOf(GoldenSets.Bundle("tiny"));
        const string victim = "decoder.layers.1.ffn.up.weight";
        Rewrite(bundle.File("stage2.safetensors"), _ => { }, (name, data) =>
        {
            if (name == victim) BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * 37), poison);
        });
        var e = Assert.Throws<SafetensorsFormatException>(() => Bundle.Open(bundle.Path));
        Assert.Equal($"{bundle.File("stage2.safetensors")}: tensor '{victim}': element 37 is {shown}; weights must be finite", e.Message);
    }

    [Fact]
    public void TheFirstBytesOfAFileThatIsNoSafetensorsAreNotEchoed()
    {
        using var dir = new TempDirectory();
        string secret = dir.File("secret.txt");
        File.WriteAllText(secret, "hunter2:x:0:0:root:/root:/bin/bash\n");
        ulong firstBytes = BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(secret));
        using var bundle = CopyOf(GoldenSets.Bundle("tiny"));
        ReplaceWithLink(bundle.File("codec.safetensors"), secret);
        var e = Assert.Throws<SafetensorsFormatException>(() => Bundle.Open(bundle.Path));
        Assert.Contains("not a safetensors file", e.Message);
        Assert.DoesNotContain(firstBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
    }

    public static TheoryData<string, string> BadTextTowers() => new()
    {
        { """["slow", "fast", "Slow"]""", "are the same word 'Slow'" },
        { """["slow", null, "fast"]""", "entry 1 is null" },
        { "nan", "element 5 (word 'slow') is NaN; embeddings must be finite" },
    };

    [Theory]
    [MemberData(nameof(BadTextTowers))]
    public async Task ABadTextTowerIsRefusedByInspectAndGenerate(string words, string expected)
    {
        using var bundle = CopyOf(DefaultModel.EnsureUnpacked());
        string tower = bundle.File("text_tower.safetensors");
        Rewrite(tower, metadata =>
        {
            if (words == "nan") return;
            var list = JsonNode.Parse(metadata["words"])!.AsArray();
            var replacement = JsonNode.Parse(words)!.AsArray();
            for (int i = 0; i < replacement.Count; i++) list[i] = replacement[i]?.DeepClone();
            metadata["words"] = list.ToJsonString();
        }, (name, data) =>
        {
            if (words == "nan" && name == "embeddings") BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * 5), float.NaN);
        });

        var (code, error) = await Inspect(bundle.Path);
        Assert.Equal(2, code);
        Assert.StartsWith($"error: {tower}: ", error);
        Assert.Contains(expected, error);

        using var media = new TempDirectory();
        string video = media.File("clip.mp4");
        await Video.TestMedia.Ffmpeg($"-f lavfi -i color=c=red:size=64x48:rate=10:duration=0.4 -c:v libx264 -preset ultrafast -pix_fmt yuv420p \"{video}\"");
        await Video.HostileVideoTests.ExpectOneErrorLine(["generate", video, "--bundle", bundle.Path, "--device", "cpu"], expected, media);
    }

    [Fact]
    public void ANpyShapeWhoseProductOverflowsIsAMediaError()
    {
        byte[] npy = NpyFile.ToBytes(NpyDType.Float32, [1, 1], new byte[4]);
        string header = Encoding.ASCII.GetString(npy, 10, npy.Length - 14);
        string huge = header.Replace("(1, 1)", "(4611686018427387904, 4)");
        byte[] file = [.. npy[..8], .. BitConverter.GetBytes((ushort)huge.Length), .. Encoding.ASCII.GetBytes(huge), .. new byte[4]];
        var e = Assert.Throws<MediaException>(() => NpyFile.Parse(file, "big.npy"));
        Assert.Equal("big.npy: shape [4611686018427387904, 4] of '<f4' overflows a 64-bit size", e.Message);
    }

    static async Task<(int Code, string Error)> Inspect(string path)
    {
        var error = new StringWriter();
        int code = await CommandLine.RunAsync(["inspect", path], TextWriter.Null, error);
        return (code, error.ToString());
    }

    static TempDirectory CopyOf(string folder)
    {
        var dir = new TempDirectory();
        foreach (string f in Directory.GetFiles(folder)) File.Copy(f, dir.File(Path.GetFileName(f)));
        return dir;
    }

    static void ReplaceWithLink(string path, string target)
    {
        File.Delete(path);
        File.CreateSymbolicLink(path, target);
    }

    /// <summary>Rewrites a safetensors file, letting the caller change its metadata and the bytes of each tensor.</summary>
    static void Rewrite(string path, Action<Dictionary<string, string>> metadata, Action<string, byte[]> tensor)
    {
        var writer = new SafetensorsWriter();
        using (var file = SafetensorsFile.Open(path))
        {
            var entries = new Dictionary<string, string>(file.Metadata);
            metadata(entries);
            foreach (var (k, v) in entries) writer.AddMetadata(k, v);
            foreach (var entry in file.Tensors)
            {
                byte[] data = file.Get(entry.Name).Bytes.ToArray();
                tensor(entry.Name, data);
                writer.Add(entry.Name, entry.DType, entry.Shape, data);
            }
        }
        writer.Save(path);
    }
}
