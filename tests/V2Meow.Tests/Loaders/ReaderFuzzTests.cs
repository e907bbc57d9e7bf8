using System.Diagnostics;
using System.Text;
using V2Meow.Cli;
using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Features;
using V2Meow.Loaders.Safetensors;
using V2Meow.Loaders.Video;
using Xunit.Abstractions;

namespace V2Meow.Tests.Loaders;

/// <summary>
/// The three readers a user's bytes reach first, driven with thousands of mutated inputs: bit flips,
/// interesting bytes, cuts and splices anywhere, and numbers in the JSON headers replaced by the values
/// that break arithmetic (0, -1, 2^31, 2^63, 1e309…). Every input must give either a valid load or the
/// reader's own exception (the one the CLI turns into one <c>error:</c> line and exit 2); never another
/// exception, never a hang, and never more than a bounded allocation for an input of a few kilobytes.
/// </summary>
/// <remarks>
/// The inputs are a fixed sequence (seeded), so a failure names the iteration and reproduces. Each reader
/// gets a time budget of a few seconds: on a slow machine fewer inputs run, and the count is logged.
/// </remarks>
public class ReaderFuzzTests(ITestOutputHelper log)
{
    const int MaxInputs = 5000;
    static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);
    /// <summary>A guard against a hang, not a timing.</summary>
    static readonly TimeSpan Guard = TimeSpan.FromMinutes(2);
    /// <summary>
    /// Most bytes one read of one input may allocate: every input is under 200 KB, and a valid one
    /// converts all of its tensors; a reader that trusts a declared size allocates gigabytes.
    /// </summary>
    const long MaxAllocation = 64L << 20;

    static readonly string[] InterestingNumbers =
    [
        "0", "-1", "1", "2", "7", "255", "65536", "2147483647", "2147483648", "4294967295", "4294967296",
        "9223372036854775807", "9223372036854775808", "18446744073709551616", "1e309", "-1e309", "1e-300",
        "0.5", "1e9", "100000000", "3.5", "-0", "1e2",
    ];

    static readonly string[] InterestingTokens =
    [
        "null", "true", "\"\"", "[]", "{}", "\"F32\"", "\"BOOL\"", "\"x\"", "[1]", "[0, 0]", "[2147483647, 2147483647]",
        "\"__metadata__\"", "\"dense\"", "\"tokens\"", "\"<f8\"", "\">f4\"", "True", "(1,)", "()",
    ];

    [Fact]
    public async Task SafetensorsReaderGivesALoadOrAFormatError()
    {
        using var dir = new TempDirectory();
        string path = dir.File("fuzz.safetensors");
        byte[][] seeds = [SmallSafetensors(), File.ReadAllBytes(Path.Combine(GoldenSets.Bundle("tiny"), "stage3.safetensors"))];
        int runs = await Fuzz(seeds, 0x5AFE, Format.Safetensors, bytes =>
        {
            File.WriteAllBytes(path, bytes);
            try
            {
                using var file = SafetensorsFile.Open(path);
                foreach (var entry in file.Tensors)
                {
                    var view = file.Get(entry.Name);
                    if (DTypes.IsFloat(view.DType)) view.ToFloat32();
                    else if (view.DType != DType.Bool) view.ToInt32();
                }
                return true;
            }
            catch (SafetensorsFormatException) { return false; }
        }, async (bytes, i) =>
        {
            // Through the CLI as well, now and then: one error line and exit 2, or a listing and exit 0.
            if (i % 200 != 0) return;
            File.WriteAllBytes(path, bytes);
            var error = new StringWriter();
            int code = await CommandLine.RunAsync(["inspect", path], TextWriter.Null, error);
            AssertOneErrorLineOrSuccess(code, error.ToString(), i);
        });
        log.WriteLine($"{runs} mutated safetensors files read");
    }

    [Fact]
    public async Task NpyReaderGivesALoadOrAMediaError()
    {
        byte[][] seeds =
        [
            NpyFile.ToBytes(NpyDType.Float32, [3, 4], new byte[48]),
            NpyFile.ToBytes(NpyDType.Float16, [5], new byte[10]),
            NpyFile.ToBytes(NpyDType.Float64, [2, 2], new byte[32]),
            NpyFile.ToBytes(NpyDType.Int32, [4, 1], new byte[16]),
            NpyFile.ToBytes(NpyDType.Int64, [0, 3], []),
            Version2(NpyFile.ToBytes(NpyDType.Float32, [2, 3], new byte[24])),
        ];
        int runs = await Fuzz(seeds, 0x4E59, Format.Npy, bytes =>
        {
            try
            {
                var array = NpyFile.Parse(bytes, "fuzz.npy");
                if (array.IsFloat) array.ToFloat32();
                else array.ToInt64();
                return true;
            }
            catch (MediaException) { return false; }
        }, (_, _) => Task.CompletedTask);
        log.WriteLine($"{runs} mutated .npy files read");
    }

    [Fact]
    public async Task ConfigReaderGivesALoadOrABundleError()
    {
        using var bundle = new TempDirectory();
        foreach (string f in Directory.GetFiles(GoldenSets.Bundle("tiny"))) File.Copy(f, bundle.File(Path.GetFileName(f)));
        byte[][] seeds = [.. new[] { "tiny", "odd", "enc_dec" }.Select(set => File.ReadAllBytes(Path.Combine(GoldenSets.Bundle(set), "config.json")))];
        int runs = await Fuzz(seeds, 0xC0F6, Format.Json, bytes =>
        {
            string text = Encoding.UTF8.GetString(bytes);
            try
            {
                BundleConfigReader.Parse(text, "config.json");
                return true;
            }
            catch (BundleException) { return false; }
        }, async (bytes, i) =>
        {
            // The whole bundle now and then: layout, metadata comparison, weights, through the CLI.
            if (i % 100 != 0) return;
            File.WriteAllBytes(bundle.File("config.json"), bytes);
            var error = new StringWriter();
            int code = await CommandLine.RunAsync(["inspect", bundle.Path], TextWriter.Null, error);
            AssertOneErrorLineOrSuccess(code, error.ToString(), i);
        });
        log.WriteLine($"{runs} mutated config.json files read");
    }

    /// <summary>
    /// Runs <paramref name="read"/> over mutations of the seeds until <see cref="MaxInputs"/> or the
    /// budget; <paramref name="read"/> returns whether the input loaded and lets only its domain exception
    /// through as false. Any other exception fails the test, naming the iteration.
    /// </summary>
    static async Task<int> Fuzz(byte[][] seeds, int seed, Format format, Func<byte[], bool> read, Func<byte[], int, Task> alsoThroughCli)
    {
        return await Task.Run(async () =>
        {
            var random = new Random(seed);
            var clock = Stopwatch.StartNew();
            int i = 0, loaded = 0;
            for (; i < MaxInputs && clock.Elapsed < Budget; i++)
            {
                byte[] input = Mutate(seeds[i % seeds.Length], random, format);
                long before = GC.GetAllocatedBytesForCurrentThread();
                try
                {
                    if (read(input)) loaded++;
                }
                catch (Exception e)
                {
                    Assert.Fail($"input {i} (seed {seed}): {e.GetType().Name}: {e.Message}\n{Preview(input)}\n{e.StackTrace}");
                }
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.True(allocated <= MaxAllocation, $"input {i} (seed {seed}) allocated {allocated} bytes\n{Preview(input)}");
                await alsoThroughCli(input, i);
            }
            Assert.True(loaded < i, "no mutation was refused: the mutator is not mutating");
            return i;
        }).WaitAsync(Guard);
    }

    static void AssertOneErrorLineOrSuccess(int code, string error, int i)
    {
        if (code == 0) return;
        Assert.True(code == 2, $"input {i}: exit {code}: {error}");
        string[] lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1 && lines[0].StartsWith("error: ", StringComparison.Ordinal), $"input {i}: {error}");
    }

    enum Format { Safetensors, Npy, Json }

    /// <summary>
    /// Most mutations of a binary format change only its JSON or dict header and then write the header's
    /// length back, so that they reach the header's parser instead of all failing the length check; the
    /// rest mutate the raw bytes, length prefix included.
    /// </summary>
    static byte[] Mutate(byte[] seed, Random random, Format format)
    {
        if (format == Format.Json || random.Next(10) < 3) return MutateBytes(seed, random, seed.Length);
        int prefix = format == Format.Safetensors ? 8 : seed[6] == 1 ? 10 : 12;
        int length = format == Format.Safetensors ? (int)BitConverter.ToUInt64(seed, 0)
            : prefix == 10 ? BitConverter.ToUInt16(seed, 8) : (int)BitConverter.ToUInt32(seed, 8);
        byte[] header = MutateBytes(seed[prefix..(prefix + length)], random, length);
        var result = new List<byte>(seed[..prefix]);
        if (format == Format.Safetensors) result = [.. BitConverter.GetBytes((ulong)header.Length)];
        if (format == Format.Npy)
        {
            byte[] lengthBytes = prefix == 10 ? BitConverter.GetBytes((ushort)header.Length) : BitConverter.GetBytes((uint)header.Length);
            for (int b = 0; b < lengthBytes.Length; b++) result[8 + b] = lengthBytes[b];
        }
        result.AddRange(header);
        result.AddRange(seed[(prefix + length)..]);
        return [.. result];
    }

    /// <summary>One to four mutations of <paramref name="seed"/>, placed within its first <paramref name="header"/> bytes.</summary>
    static byte[] MutateBytes(byte[] seed, Random random, int header)
    {
        var bytes = new List<byte>(seed);
        if (bytes.Count == 0) return [(byte)random.Next(256)];
        int count = 1 + random.Next(4);
        for (int m = 0; m < count && bytes.Count > 0; m++)
        {
            int at = random.Next(Math.Min(header, bytes.Count));
            switch (random.Next(9))
            {
                case 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                case 1: bytes[at] = (byte)(random.Next(3) switch { 0 => 0, 1 => 0xFF, _ => random.Next(256) }); break;
                case 2: bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(16))); break;
                case 3: bytes.InsertRange(at, Enumerable.Range(0, 1 + random.Next(8)).Select(_ => (byte)random.Next(256))); break;
                case 4:
                    {
                        int cut = random.Next(2) == 0 ? at : random.Next(bytes.Count); // truncated in the header or anywhere
                        bytes.RemoveRange(cut, bytes.Count - cut);
                        break;
                    }
                case 5:
                    {
                        int from = random.Next(bytes.Count), length = Math.Min(bytes.Count - from, 1 + random.Next(64));
                        bytes.InsertRange(at, bytes.GetRange(from, length));
                        break;
                    }
                case 6: ReplaceToken(bytes, header, random, isNumber: true); break;
                case 7: ReplaceToken(bytes, header, random, isNumber: false); break;
                default:
                    // The 8-byte length prefix of a safetensors file, or the .npy header length.
                    if (bytes.Count > 8) bytes[random.Next(Math.Min(12, bytes.Count))] = (byte)random.Next(256);
                    break;
            }
        }
        return [.. bytes];
    }

    /// <summary>Replaces a number (or any JSON-ish token) within the first <paramref name="limit"/> bytes by an interesting one.</summary>
    static void ReplaceToken(List<byte> bytes, int limit, Random random, bool isNumber)
    {
        int end = Math.Min(limit, bytes.Count);
        var starts = new List<int>();
        for (int i = 0; i < end; i++)
        {
            bool digit = bytes[i] is >= (byte)'0' and <= (byte)'9';
            bool boundary = i == 0 || !(bytes[i - 1] is >= (byte)'0' and <= (byte)'9' or (byte)'.' or (byte)'-' or (byte)'e');
            if (isNumber ? digit && boundary : bytes[i] is (byte)'"' or (byte)'[' or (byte)'(' or (byte)'n' or (byte)'t') starts.Add(i);
        }
        if (starts.Count == 0) return;
        int start = starts[random.Next(starts.Count)], stop = start + 1;
        if (isNumber)
            while (stop < end && bytes[stop] is >= (byte)'0' and <= (byte)'9' or (byte)'.' or (byte)'e' or (byte)'-' or (byte)'+') stop++;
        else
            while (stop < end && bytes[stop] is not ((byte)',' or (byte)'}' or (byte)'\n')) stop++;
        string[] pool = isNumber ? InterestingNumbers : InterestingTokens;
        bytes.RemoveRange(start, stop - start);
        bytes.InsertRange(start, Encoding.ASCII.GetBytes(pool[random.Next(pool.Length)]));
    }

    static string Preview(byte[] input)
    {
        int n = Math.Min(input.Length, 600);
        var text = new StringBuilder();
        foreach (byte b in input.AsSpan(0, n)) text.Append(b is >= 32 and < 127 ? (char)b : '.');
        return text.ToString();
    }

    /// <summary>A small file with every dtype and some metadata, so conversions of each kind are reached.</summary>
    static byte[] SmallSafetensors()
    {
        var writer = new SafetensorsWriter().AddMetadata("format", "v2meow/1").AddMetadata("config", "{\"d_model\":4}");
        writer.AddFloat32("a.f32", [2, 3], [1, 2, 3, 4, 5, 6]);
        writer.Add("b.f16", DType.F16, [4], new byte[8]);
        writer.Add("c.bf16", DType.BF16, [2, 1], new byte[4]);
        writer.Add("d.i64", DType.I64, [3], new byte[24]);
        writer.Add("e.i32", DType.I32, [1, 2], new byte[8]);
        writer.Add("f.u8", DType.U8, [5], new byte[5]);
        writer.Add("g.bool", DType.Bool, [2], new byte[2]);
        writer.Add("h.f64", DType.F64, [1], new byte[8]);
        return writer.ToBytes();
    }

    /// <summary>The same array as a version 2.0 file: a 4-byte header length.</summary>
    static byte[] Version2(byte[] version1)
    {
        int headerLength = BitConverter.ToUInt16(version1, 8);
        var result = new List<byte>(version1[..6]) { 2, 0 };
        result.AddRange(BitConverter.GetBytes((uint)headerLength));
        result.AddRange(version1[10..]);
        return [.. result];
    }
}
