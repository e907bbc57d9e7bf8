using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Bundles.Vmas;
using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime;
using V2Meow.Runtime.Backends;

namespace V2Meow.Tests.Codec;

/// <summary>
/// The optional codec_encoder.safetensors (SPEC §9.3) in both families' bundles: validated when it is there (every
/// tensor, its dtype, finite values, the codec section in its metadata), ignored when it is not, and a malformed one
/// refused with one error naming the file and the tensor.
/// </summary>
public class CodecEncoderBundleTests
{
    /// <summary>A copy of a golden set's bundle in a temp folder.</summary>
    static TempDirectory CopyOf(string set)
    {
        var dir = new TempDirectory();
        foreach (string f in Directory.GetFiles(GoldenSets.Bundle(set))) File.Copy(f, dir.File(Path.GetFileName(f)));
        return dir;
    }

    /// <summary>
    /// Writes the folder's codec_encoder.safetensors with random tensors of the layout, letting <paramref name="edit"/>
    /// change names, shapes, values and metadata first.
    /// </summary>
    static void WriteEncoder(string folder, CodecConfig codec, string format, string codecSection,
        Action<Dictionary<string, (long[] Shape, float[] Values)>, Dictionary<string, string>>? edit = null)
    {
        var random = new Random(7);
        var tensors = CodecEncoderLayout.Expected(codec).ToDictionary(p => p.Key,
            p => (p.Value, Enumerable.Range(0, (int)p.Value.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray()));
        var metadata = new Dictionary<string, string> { ["format"] = format, ["component"] = "codec_encoder", ["config"] = codecSection };
        edit?.Invoke(tensors, metadata);
        var writer = new SafetensorsWriter();
        foreach (var (key, value) in metadata) writer.AddMetadata(key, value);
        foreach (var (name, (shape, values)) in tensors) writer.AddFloat32(name, shape, values);
        writer.Save(Path.Combine(folder, "codec_encoder.safetensors"));
    }

    static string CodecSection(string folder)
    {
        using var codec = SafetensorsFile.Open(Path.Combine(folder, "codec.safetensors"));
        return codec.Metadata["config"];
    }

    [Fact]
    public void ABundleWithoutTheFileOpensWithoutAnEncoder()
    {
        using var bundle = Bundle.Open(GoldenSets.Bundle("tiny"));
        Assert.False(bundle.HasComponent("codec_encoder"));
        using var withEncoder = Bundle.Open(GoldenSets.Bundle("codec_encoder"));
        Assert.True(withEncoder.HasComponent("codec_encoder"));
    }

    [Fact]
    public void TheLayoutMatchesTheReferenceExport()
    {
        // The C# layout and the reference's layout.py agree: the committed encoder holds exactly the expected tensors.
        foreach (string set in new[] { "codec_encoder", "codec_encoder_odd" })
        {
            using var bundle = Bundle.Open(GoldenSets.Bundle(set));
            var expected = CodecEncoderLayout.Expected(bundle.Config.Codec);
            var file = bundle.Component("codec_encoder");
            Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), file.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
            foreach (var t in file.Tensors) Assert.Equal(expected[t.Name], t.Shape);
        }
    }

    public static TheoryData<string, string> MalformedEncoders() => new()
    {
        { "wrong shape", "tensor 'encoder.blocks.0.down.weight'" },
        { "missing tensor", "tensor 'encoder.out_conv.bias'" },
        { "extra tensor", "tensor 'encoder.blocks.9.down.weight'" },
        { "not finite", "must be finite" },
        { "other codec", "__metadata__ 'config'" },
        { "wrong component", "__metadata__ component: expected 'codec_encoder'" },
        { "wrong dtype", "encoder.in_conv.weight" },
    };

    [Theory]
    [MemberData(nameof(MalformedEncoders))]
    public void AMalformedEncoderIsRefusedNamingFileAndTensor(string fault, string expected)
    {
        using var dir = CopyOf("codec_encoder");
        using (var bundle = Bundle.Open(GoldenSets.Bundle("codec_encoder")))
        {
            string section = CodecSection(dir.Path);
            if (fault == "wrong dtype")
            {
                // A float16 tensor in a float32 bundle.
                var writer = new SafetensorsWriter().AddMetadata("format", "v2meow/1").AddMetadata("component", "codec_encoder").AddMetadata("config", section);
                foreach (var (name, shape) in CodecEncoderLayout.Expected(bundle.Config.Codec))
                {
                    int n = (int)shape.Aggregate(1L, (a, b) => a * b);
                    if (name == "encoder.in_conv.weight") writer.Add(name, DType.F16, shape, (ReadOnlySpan<Half>)new Half[n]);
                    else writer.AddFloat32(name, shape, new float[n]);
                }
                writer.Save(dir.File("codec_encoder.safetensors"));
            }
            else
            {
                WriteEncoder(dir.Path, bundle.Config.Codec, "v2meow/1", section, (tensors, metadata) =>
                {
                    switch (fault)
                    {
                        case "wrong shape": tensors["encoder.blocks.0.down.weight"] = ([16, 8, 3], new float[16 * 8 * 3]); break;
                        case "missing tensor": tensors.Remove("encoder.out_conv.bias"); break;
                        case "extra tensor": tensors["encoder.blocks.9.down.weight"] = ([1], [0f]); break;
                        case "not finite": tensors["encoder.out_act.alpha"].Values[3] = float.NaN; break;
                        case "other codec": metadata["config"] = section.Replace("\"strides\":[2,3]", "\"strides\":[3,2]", StringComparison.Ordinal); break;
                        case "wrong component": metadata["component"] = "codec"; break;
                    }
                });
            }
        }
        var e = Record.Exception(() => Bundle.Open(dir.Path));
        Assert.True(e is SafetensorsFormatException or BundleException, e?.ToString());
        Assert.Contains("codec_encoder.safetensors", e!.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task AVmasBundleMayCarryAnEncoderAndTheCodecModelRunsIt()
    {
        using var dir = CopyOf("vmas-tiny");
        using (var bundle = VmasBundle.Open(dir.Path))
            WriteEncoder(dir.Path, bundle.Config.Codec, "vmas/1", CodecSection(dir.Path));
        using (var bundle = VmasBundle.Open(dir.Path)) Assert.True(bundle.HasComponent("codec_encoder"));

        using var codec = CodecModel.Load(dir.Path, DeviceKind.Cpu);
        Assert.True(codec.CanEncode);
        var samples = CodecReference.Random(5 * codec.Hop + 3, 11, 0.5f);
        var encoded = await codec.EncodeAsync(samples);
        Assert.Equal((codec.Levels, 6), (encoded.Codes.Levels, encoded.Codes.Frames));
        Assert.Equal(samples.Length, (await codec.DecodeAsync(encoded)).Length);

        // With vmas/1 in the metadata of a v2meow/1-format file, or the other way round, the file is refused.
        CodecConfig config;
        using (var bundle = VmasBundle.Open(dir.Path)) config = bundle.Config.Codec;
        WriteEncoder(dir.Path, config, "v2meow/1", CodecSection(dir.Path));
        var e = Assert.Throws<SafetensorsFormatException>(() => VmasBundle.Open(dir.Path));
        Assert.Contains("__metadata__ format: expected 'vmas/1'", e.Message);
    }
}
