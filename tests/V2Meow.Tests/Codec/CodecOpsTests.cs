using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Backends.Cpu;
using V2Meow.Tests.Backends;

namespace V2Meow.Tests.Codec;

/// <summary>
/// The codec ops (RVQ lookup and search, Conv1d, strided Conv1d, ConvTranspose1d, ELU, Snake, tanh, LSTM) on both backends against float64 loops on
/// fresh random inputs, into poisoned (NaN) outputs. Sizes are odd on purpose: partial register tiles,
/// lengths not multiples of a vector, channel counts not multiples of 4. ILGPU's CPU accelerator is an
/// emulator, so its cases stay tiny; the CPU backend also gets sizes that cross its 512-sample work items.
/// </summary>
public class CodecOpsTests(BackendFixture backends) : IClassFixture<BackendFixture>
{
    public static TheoryData<string> Backends => BackendFixture.Names;

    // Conv cases: (ci, co, length, k, dilation). The first set runs on both backends.
    static readonly (int Ci, int Co, int L, int K, int D)[] SmallConvs =
    [
        (1, 1, 1, 1, 1), (3, 5, 17, 7, 1), (4, 6, 23, 7, 3), (5, 3, 37, 5, 9), (2, 9, 11, 3, 2), (6, 4, 9, 1, 1), (3, 2, 5, 7, 9),
    ];
    static readonly (int Ci, int Co, int L, int K, int D)[] LargeConvs =
    [
        (19, 13, 1301, 7, 9), (16, 16, 1024, 7, 1), (7, 1, 2049, 7, 1), (33, 7, 517, 1, 1),
    ];

    static IEnumerable<(int Ci, int Co, int L, int K, int D)> ConvCases(string backend) =>
        backend == "cpu" ? SmallConvs.Concat(LargeConvs) : SmallConvs;

    static float[] Download(IComputeBackend backend, DeviceTensor tensor)
    {
        var values = new float[tensor.Length];
        backend.Download(tensor, values);
        return values;
    }

    static void AssertClose(string what, float[] actual, double[] expected, double[] magnitude, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= relative * magnitude[i] + 1e-7,
                $"{what} at {i}: {actual[i]} vs {expected[i]} (Σ|terms| {magnitude[i]})");
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Conv1dMatchesFloat64(string backendName)
    {
        var backend = backends.Get(backendName);
        int seed = 0;
        foreach (var (ci, co, length, k, dilation) in ConvCases(backendName))
            foreach (bool causal in new[] { true, false })
            {
                seed++;
                float[] x = CodecReference.Random(ci * length, seed), w = CodecReference.Random(co * ci * k, seed + 1000),
                    b = CodecReference.Random(co, seed + 2000);
                using var tx = backend.Upload(x, ci, length);
                using var tw = backend.Upload(w, co, ci, k);
                using var tb = backend.Upload(b, co);
                using var ty = backend.Upload(CodecReference.Poison(co * length), co, length);
                backend.Conv1d(tx, tw, tb, ty, dilation, causal ? ConvPadding.Causal : ConvPadding.Centred);
                var (expected, magnitude) = CodecReference.Conv1d(x, w, b, ci, co, length, k, dilation, causal);
                // f32 accumulation (fused multiply-adds, another order) against f64: the error is bounded by
                // n·eps·Σ|terms| with n = ci·k ≤ 133 here; 2e-6·Σ|terms| sits above what that reaches in practice.
                AssertClose($"{backendName} conv1d ci {ci} co {co} L {length} k {k} δ {dilation} {(causal ? "causal" : "centred")}",
                    Download(backend, ty), expected, magnitude, 2e-6);
            }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Conv1dAddsTheResidualAlsoInPlace(string backendName)
    {
        var backend = backends.Get(backendName);
        var (ci, co, length, k, dilation) = backendName == "cpu" ? (9, 6, 700, 7, 3) : (3, 5, 19, 7, 3);
        float[] x = CodecReference.Random(ci * length, 1), w = CodecReference.Random(co * ci * k, 2),
            b = CodecReference.Random(co, 3), residual = CodecReference.Random(co * length, 4, 3f);
        var (expected, magnitude) = CodecReference.Conv1d(x, w, b, ci, co, length, k, dilation, causal: true, residual);
        using var tx = backend.Upload(x, ci, length);
        using var tw = backend.Upload(w, co, ci, k);
        using var tb = backend.Upload(b, co);

        // Into a separate, poisoned output.
        using var tr = backend.Upload(residual, co, length);
        using var ty = backend.Upload(CodecReference.Poison(co * length), co, length);
        backend.Conv1d(tx, tw, tb, ty, dilation, ConvPadding.Causal, residual: tr);
        AssertClose($"{backendName} conv1d + residual", Download(backend, ty), expected, magnitude, 2e-6);

        // In place, as the residual units run it: output and residual are one tensor.
        using var inPlace = backend.Upload(residual, co, length);
        backend.Conv1d(tx, tw, tb, inPlace, dilation, ConvPadding.Causal, residual: inPlace);
        AssertClose($"{backendName} conv1d + residual in place", Download(backend, inPlace), expected, magnitude, 2e-6);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void ConvTranspose1dMatchesFloat64(string backendName)
    {
        var backend = backends.Get(backendName);
        // (ci, co, frames, stride, k): the codec's k = 2s, and a few other k (taps missing from some phases).
        var cases = new List<(int Ci, int Co, int T, int S, int K)>
        {
            (1, 1, 1, 1, 2), (3, 5, 7, 2, 4), (4, 3, 5, 3, 6), (2, 6, 9, 5, 10), (5, 2, 4, 4, 8), (3, 3, 6, 2, 3), (2, 4, 5, 3, 4), (3, 2, 3, 2, 7),
        };
        if (backendName == "cpu") cases.AddRange([(32, 17, 301, 8, 16), (13, 6, 1031, 2, 4), (9, 5, 611, 5, 10)]);
        int seed = 100;
        foreach (var (ci, co, frames, stride, k) in cases)
            foreach (bool causal in new[] { true, false })
            {
                seed++;
                float[] x = CodecReference.Random(ci * frames, seed), w = CodecReference.Random(ci * co * k, seed + 1000),
                    b = CodecReference.Random(co, seed + 2000);
                int length = frames * stride;
                using var tx = backend.Upload(x, ci, frames);
                using var tw = backend.Upload(w, ci, co, k);
                using var tb = backend.Upload(b, co);
                using var ty = backend.Upload(CodecReference.Poison(co * length), co, length);
                backend.ConvTranspose1d(tx, tw, tb, ty, stride, causal ? ConvPadding.Causal : ConvPadding.Centred);
                var (expected, magnitude) = CodecReference.ConvTranspose1d(x, w, b, ci, co, frames, k, stride, causal);
                // As Conv1d: f32 sums of ci·⌈k/s⌉ ≤ 64 terms against f64.
                AssertClose($"{backendName} conv_transpose1d ci {ci} co {co} T {frames} s {stride} k {k} {(causal ? "causal" : "centred")}",
                    Download(backend, ty), expected, magnitude, 2e-6);
            }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void StridedConv1dMatchesFloat64(string backendName)
    {
        var backend = backends.Get(backendName);
        // (ci, co, L, stride, k): the codec's k = 2s, a k = s (no padding), a k between, strides 1 to 8.
        var cases = new List<(int Ci, int Co, int L, int S, int K)>
        {
            (1, 1, 2, 2, 4), (1, 5, 18, 2, 4), (3, 4, 21, 3, 6), (4, 3, 20, 5, 10), (2, 6, 24, 4, 8), (3, 2, 9, 3, 3), (2, 3, 12, 2, 3), (5, 2, 7, 1, 2),
        };
        if (backendName == "cpu") cases.AddRange([(8, 16, 4096, 8, 16), (16, 32, 1030, 5, 10), (13, 7, 2 * 611, 2, 4), (32, 64, 64 * 4, 4, 8)]);
        int seed = 300;
        foreach (var (ci, co, length, stride, k) in cases)
            foreach (bool causal in new[] { true, false })
            {
                seed++;
                float[] x = CodecReference.Random(ci * length, seed), w = CodecReference.Random(co * ci * k, seed + 1000),
                    b = CodecReference.Random(co, seed + 2000);
                int outLength = length / stride;
                using var tx = backend.Upload(x, ci, length);
                using var tw = backend.Upload(w, co, ci, k);
                using var tb = backend.Upload(b, co);
                using var ty = backend.Upload(CodecReference.Poison(co * outLength), co, outLength);
                backend.StridedConv1d(tx, tw, tb, ty, stride, causal ? ConvPadding.Causal : ConvPadding.Centred);
                var (expected, magnitude) = CodecReference.StridedConv1d(x, w, b, ci, co, length, k, stride, causal);
                // As Conv1d: f32 sums of ci·k ≤ 512 terms (fused multiply-adds on the CPU, another order) against f64.
                AssertClose($"{backendName} strided_conv1d ci {ci} co {co} L {length} s {stride} k {k} {(causal ? "causal" : "centred")}",
                    Download(backend, ty), expected, magnitude, 2e-6);
            }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void StridedConv1dShapesAreChecked(string backendName)
    {
        var backend = backends.Get(backendName);
        using var x = backend.Allocate(3, 10);
        using var w = backend.Allocate(4, 3, 4);
        using var b = backend.Allocate(4);
        using var y = backend.Allocate(4, 5);
        using var wrong = backend.Allocate(4, 6);
        var e = Assert.Throws<ArgumentException>(() => backend.StridedConv1d(x, w, b, wrong, 2, ConvPadding.Causal));
        Assert.Contains("strided_conv1d: output must be [4, 5], found [4, 6]", e.Message);
        e = Assert.Throws<ArgumentException>(() => backend.StridedConv1d(x, w, b, y, 3, ConvPadding.Causal));
        Assert.Contains("input length 10 is not a multiple of the stride 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => backend.StridedConv1d(x, w, b, y, 5, ConvPadding.Causal));
        Assert.Contains("kernel size 4, less than the stride 5", e.Message);
        using var narrow = backend.Allocate(2, 10);
        e = Assert.Throws<ArgumentException>(() => backend.StridedConv1d(narrow, w, b, y, 2, ConvPadding.Causal));
        Assert.Contains("input must be [3, length]", e.Message);
    }

    /// <summary>
    /// Codes of a latent [d, frames] near the codebook rows: each frame a row of level 0 plus a smaller one of level
    /// 1 (when there is one) plus noise, so the residual search has real structure, with sizes that leave partial SIMD blocks and groups.
    /// </summary>
    static (float[] Books, float[] Latent) RvqEncodeCase(int q, int k, int d, int frames, int seed)
    {
        var books = CodecReference.Random(q * k * d, seed, 2f);
        var r = new Random(seed + 1);
        var latent = new float[d * frames];
        for (int t = 0; t < frames; t++)
        {
            int a = r.Next(k), b = r.Next(k);
            for (int j = 0; j < d; j++)
                latent[j * frames + t] = books[a * d + j] + (q > 1 ? 0.3f * books[(k + b) * d + j] : 0f) + (float)(0.2 * (r.NextDouble() - 0.5));
        }
        return (books, latent);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void RvqEncodeMatchesTheSpecArithmeticAndFloat64(string backendName)
    {
        var backend = backends.Get(backendName);
        var cases = new List<(int Q, int K, int D, int T)> { (1, 1, 1, 1), (3, 7, 5, 13), (4, 33, 8, 11), (2, 5, 67, 3) };
        if (backendName == "cpu") cases.AddRange([(12, 1024, 64, 203), (4, 37, 3, 1001)]);
        int seed = 500;
        foreach (var (q, k, d, frames) in cases)
        {
            var (books, latent) = RvqEncodeCase(q, k, d, frames, seed += 10);
            using var tb = backend.Upload(books, q, k, d);
            using var tz = backend.Upload(latent, d, frames);
            for (int levels = 1; levels <= q; levels += Math.Max(1, q - 1))
            {
                using var codes = backend.UploadInts(Enumerable.Repeat(-1, levels * frames).ToArray(), levels, frames); // poisoned
                backend.RvqEncode(tb, tz, levels, codes);
                var got = new int[levels * frames];
                backend.DownloadInts(codes, got);
                // The contract fixes every rounding, so the codes are exactly the float32 loop's.
                Assert.Equal(CodecReference.RvqEncode(books, k, d, latent, frames, levels), got);

                // And level 0 is the float64 nearest code wherever no other code is within float32 noise of it.
                for (int t = 0; t < frames; t++)
                {
                    var distances = Enumerable.Range(0, k).Select(c =>
                        Enumerable.Range(0, d).Sum(j => Math.Pow((double)latent[j * frames + t] - books[c * d + j], 2))).ToArray();
                    int nearest = Array.IndexOf(distances, distances.Min());
                    bool clear = distances.Where((_, c) => c != nearest).All(x => x > distances[nearest] * (1 + 1e-5) + 1e-6);
                    if (clear) Assert.Equal(nearest, got[t]);
                }
            }
            // The latent is left as it was.
            var after = new float[latent.Length];
            backend.Download(tz, after);
            Assert.Equal(latent, after);
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void RvqEncodeBreaksTiesToTheLowerCode(string backendName)
    {
        var backend = backends.Get(backendName);
        // Level 0: rows 1 and 3 equal, row 2 their mirror image (the origin is equidistant from 2 and 3); level 1:
        // all rows equal. Frames: at row 1's value (exact tie of 1 and 3), at the origin (tie of 1, 2 and 3, and
        // 0 farther), and far out (every distance +∞ in float32, so all tie).
        const int k = 4, d = 3;
        float[] books =
        [
            9, 9, 9, 1, 2, -1, -1, -2, 1, 1, 2, -1,
            5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
        ];
        float[] latent = [1, 0, 3e38f, 2, 0, 3e38f, -1, 0, 3e38f]; // [d, 3 frames]
        using var tb = backend.Upload(books, 2, k, d);
        using var tz = backend.Upload(latent, d, 3);
        using var codes = backend.UploadInts(Enumerable.Repeat(-1, 6).ToArray(), 2, 3);
        backend.RvqEncode(tb, tz, 2, codes);
        var got = new int[6];
        backend.DownloadInts(codes, got);
        Assert.Equal([1, 1, 0, 0, 0, 0], got);
        Assert.Equal(CodecReference.RvqEncode(books, k, d, latent, 3, 2), got);
    }

    [Fact]
    public void RvqEncodeShapesGiveTheSameErrorOnBothBackends()
    {
        var messages = new Dictionary<string, List<string>>();
        foreach (var name in new[] { "cpu", "ilgpu-cpu" })
        {
            var b = backends.Get(name);
            var list = messages[name] = [];
            void Expect(string contains, Action call)
            {
                var e = Assert.Throws<ArgumentException>(call);
                Assert.Contains(contains, e.Message);
                list.Add(e.Message);
            }

            using var books = b.Allocate(2, 4, 3);
            using var latent = b.Allocate(3, 5);
            using var codes = b.AllocateInts(2, 5);
            using var wrongLatent = b.Allocate(4, 5);
            using var wrongCodes = b.AllocateInts(2, 6);
            Expect("rvq_encode: 3 levels asked for; the codec has 2 (expected 1 to 2)", () => b.RvqEncode(books, latent, 3, codes));
            Expect("rvq_encode: latent must be [3, frames] for codebooks [2, 4, 3], found [4, 5]", () => b.RvqEncode(books, wrongLatent, 2, codes));
            Expect("rvq_encode: codes must be [2, 5], found [2, 6]", () => b.RvqEncode(books, latent, 2, wrongCodes));
            Expect("rvq_encode: codebooks must be [levels, codebook_size, dim], found [3, 5]", () => b.RvqEncode(latent, latent, 1, codes));
        }
        Assert.Equal(messages["cpu"], messages["ilgpu-cpu"]);
    }

    /// <summary>
    /// On the CPU backend the same input gives the same ELU wherever it sits: in a whole vector or in the tensor's
    /// last, partial one (the two ran through different exps once). 4200 inputs over [−0.69, 0), where exp(x) − 1
    /// keeps every bit of exp(x), 7 at a time: positions 0–6 and 16–22 of a 23-element tensor hold the same 7.
    /// </summary>
    [Fact]
    public void CpuEluOfAValueDoesNotDependOnItsPosition()
    {
        var backend = backends.Get("cpu");
        const int n = 23, group = 7;
        for (int first = 0; first < 4200; first += group)
        {
            var x = new float[n];
            for (int i = 0; i < n; i++) x[i] = -0.69f * (first + (i >= 16 ? i - 16 : i % group) + 1) / 4201f;
            using var tx = backend.Upload(x, n);
            using var ty = backend.Upload(CodecReference.Poison(n), n);
            backend.Elu(tx, ty);
            var elu = Download(backend, ty);
            for (int j = 0; j < group; j++)
                Assert.True(elu[16 + j] == elu[j], $"elu({x[j]:R}) is {elu[j]:R} at {j} and {elu[16 + j]:R} at {16 + j}");
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void EluAndTanhMatchFloat64(string backendName)
    {
        var backend = backends.Get(backendName);
        foreach (int n in backendName == "cpu" ? new[] { 1, 7, 100, 40_000 } : new[] { 1, 7, 100 })
        {
            var x = CodecReference.Random(n, n, 6f);
            x[0] = 0f;
            if (n > 4) (x[1], x[2], x[3]) = (-1e-6f, 1e-6f, -30f);
            using var tx = backend.Upload(x, n);
            using var ty = backend.Upload(CodecReference.Poison(n), n);
            backend.Elu(tx, ty);
            var elu = Download(backend, ty);
            for (int i = 0; i < n; i++)
            {
                if (x[i] > 0) Assert.Equal(x[i], elu[i]); // positive inputs pass through unrounded
                // exp in f32 is within a few ulp of 1 near the top of its range here; the −1 is exact.
                else Assert.True(Math.Abs(elu[i] - CodecReference.Elu(x[i])) <= 5e-7, $"{backendName} elu({x[i]}) = {elu[i]}");
            }

            backend.Tanh(tx, ty);
            var tanh = Download(backend, ty);
            // Vectorised tanh approximations stay within a few ulp; 5e-7 absolute on values ≤ 1.
            for (int i = 0; i < n; i++)
                Assert.True(Math.Abs(tanh[i] - Math.Tanh(x[i])) <= 5e-7, $"{backendName} tanh({x[i]}) = {tanh[i]}");

            // In place (output = input), as the decoder runs them.
            backend.Elu(tx, tx);
            var inPlace = Download(backend, tx);
            Assert.Equal(elu, inPlace);
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void SnakeMatchesFloat64PerChannel(string backendName)
    {
        var backend = backends.Get(backendName);
        foreach (var (channels, length) in backendName == "cpu"
                     ? new[] { (1, 1), (3, 7), (5, 300), (2, 40_000) }
                     : new[] { (1, 1), (3, 7), (4, 33) })
        {
            int n = channels * length;
            var x = CodecReference.Random(n, n + 3, 8f);
            x[0] = 0f;
            if (n > 4) (x[1], x[2], x[3]) = (-1e-6f, 300f, -2000f); // tiny and large arguments
            var alpha = CodecReference.Random(channels, channels, 2f).Select(a => MathF.Abs(a) + 0.05f).ToArray();
            if (channels > 2) alpha[2] = 0f; // sin²(0)/1e-9 = 0: the bias keeps the division finite
            using var tx = backend.Upload(x, channels, length);
            using var ta = backend.Upload(alpha, channels);
            using var ty = backend.Upload(CodecReference.Poison(n), channels, length);
            backend.Snake(tx, ta, ty);
            var y = Download(backend, ty);
            for (int i = 0; i < n; i++)
            {
                double a = alpha[i / length], s = Math.Sin(a * x[i]);
                double expected = x[i] + s * s / (a + 1e-9);
                // Relative to the terms' size: sin² of a large argument is only as good as α·x's rounding.
                double tolerance = 2e-6 * (Math.Abs(x[i]) + 1 / (a + 1e-9)) * Math.Max(1, Math.Abs(a * x[i]) / 100);
                Assert.True(Math.Abs(y[i] - expected) <= tolerance,
                    $"{backendName} snake(x {x[i]}, alpha {a}) = {y[i]}, expected {expected}");
            }

            backend.Snake(tx, ta, tx); // in place, as the decoder runs it
            Assert.Equal(y, Download(backend, tx));
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void SnakeRejectsMismatchedShapes(string backendName)
    {
        var backend = backends.Get(backendName);
        using var x = backend.Upload(new float[12], 3, 4);
        using var alpha = backend.Upload(new float[2], 2);
        using var y = backend.Upload(new float[12], 3, 4);
        var error = Assert.Throws<ArgumentException>(() => backend.Snake(x, alpha, y));
        Assert.Contains("snake: alpha must be [3]", error.Message);
        using var flat = backend.Upload(new float[12], 12);
        Assert.Throws<ArgumentException>(() => backend.Snake(flat, alpha, flat));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void RvqLookupSumsTheGivenLevels(string backendName)
    {
        var backend = backends.Get(backendName);
        const int q = 5, k = 7, d = 3, frames = 13;
        var books = CodecReference.Random(q * k * d, 9, 2f);
        using var tb = backend.Upload(books, q, k, d);
        var r = new Random(5);
        for (int levels = 1; levels <= q; levels++)
        {
            var codes = Enumerable.Range(0, levels * frames).Select(_ => r.Next(k)).ToArray();
            codes[0] = 0;
            codes[^1] = k - 1; // both ends of the range
            using var ty = backend.Upload(CodecReference.Poison(d * frames), d, frames);
            using var tc = backend.UploadInts(codes, levels, frames);
            backend.RvqLookup(tb, tc, levels, ty);
            var (expected, magnitude) = CodecReference.Rvq(books, k, d, codes, levels, frames);
            // ≤ 5 f32 additions: a few ulp of Σ|terms|.
            AssertClose($"{backendName} rvq {levels} levels", Download(backend, ty), expected, magnitude, 1e-6);
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void RvqLookupRejectsBadShapes(string backendName)
    {
        var backend = backends.Get(backendName);
        using var books = backend.Upload(new float[2 * 4 * 3], 2, 4, 3);
        using var output = backend.Allocate(3, 5);

        using var threeLevels = backend.UploadInts(new int[3 * 5], 3, 5);
        var e = Assert.Throws<ArgumentException>(() => backend.RvqLookup(books, threeLevels, 3, output));
        Assert.Contains("3 levels of codes given; the codec has 2 (expected 1 to 2)", e.Message);

        using var seven = backend.UploadInts(new int[7], 7);
        e = Assert.Throws<ArgumentException>(() => backend.RvqLookup(books, seven, 1, output));
        Assert.Contains("7 codes [7] for 1 levels × 5 frames", e.Message);
    }

    [Fact]
    public void RvqLookupOnTheCpuNamesACodeOutOfRange()
    {
        // Host codes are range-checked before any device sees them (CodecChecks.RvqCodeRange); the CPU
        // backend holds its codes on the host and checks them itself.
        using var backend = new CpuBackend();
        using var books = backend.Upload(new float[2 * 4 * 3], 2, 4, 3);
        using var output = backend.Allocate(3, 5);
        var codes = new int[2 * 5];

        codes[1 * 5 + 2] = 4;
        using (var high = backend.UploadInts(codes, 2, 5))
        {
            var e = Assert.Throws<ArgumentException>(() => backend.RvqLookup(books, high, 2, output));
            Assert.Contains("level 1, frame 2: code 4 is outside [0, 4)", e.Message);
        }

        codes[1 * 5 + 2] = -1;
        using var low = backend.UploadInts(codes, 2, 5);
        var error = Assert.Throws<ArgumentException>(() => backend.RvqLookup(books, low, 2, output));
        Assert.Contains("code -1 is outside [0, 4)", error.Message);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void ConvShapesAreChecked(string backendName)
    {
        var backend = backends.Get(backendName);
        using var x = backend.Allocate(3, 10);
        using var w = backend.Allocate(4, 3, 5);
        using var b = backend.Allocate(4);
        using var wrongOut = backend.Allocate(4, 11);
        var e = Assert.Throws<ArgumentException>(() => backend.Conv1d(x, w, b, wrongOut, 1, ConvPadding.Causal));
        Assert.Contains("output must be [4, 10], found [4, 11]", e.Message);

        using var wrongIn = backend.Allocate(2, 10);
        using var y = backend.Allocate(4, 10);
        e = Assert.Throws<ArgumentException>(() => backend.Conv1d(wrongIn, w, b, y, 1, ConvPadding.Causal));
        Assert.Contains("input must be [3, length]", e.Message);

        using var square = backend.Allocate(3, 3, 1);
        using var b3 = backend.Allocate(3);
        using var self = backend.Allocate(3, 10);
        e = Assert.Throws<ArgumentException>(() => backend.Conv1d(self, square, b3, self, 1, ConvPadding.Causal));
        Assert.Contains("must not be the input", e.Message);

        using var up = backend.Allocate(3, 4, 4);
        using var upOut = backend.Allocate(4, 21);
        e = Assert.Throws<ArgumentException>(() => backend.ConvTranspose1d(x, up, b, upOut, 2, ConvPadding.Causal));
        Assert.Contains("output must be [4, 20], found [4, 21]", e.Message);
    }

    /// <summary>PyTorch's LSTM recurrence in float64, channels first: h [C, T].</summary>
    static double[] Lstm(float[] gates, float[] w, float[] b, int channels, int frames)
    {
        var h = new double[channels];
        var c = new double[channels];
        var output = new double[channels * frames];
        static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
        for (int t = 0; t < frames; t++)
        {
            var g = new double[4 * channels];
            for (int r = 0; r < 4 * channels; r++)
            {
                double recurrent = b[r];
                for (int k = 0; k < channels; k++) recurrent += (double)w[r * channels + k] * h[k];
                g[r] = gates[r * frames + t] + recurrent;
            }
            for (int j = 0; j < channels; j++)
            {
                c[j] = Sigmoid(g[channels + j]) * c[j] + Sigmoid(g[j]) * Math.Tanh(g[2 * channels + j]);
                h[j] = Sigmoid(g[3 * channels + j]) * Math.Tanh(c[j]);
                output[j * frames + t] = h[j];
            }
        }
        return output;
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void LstmMatchesFloat64(string backendName)
    {
        var backend = backends.Get(backendName);
        var cases = new List<(int C, int T)> { (1, 1), (5, 7), (37, 11) };
        if (backendName == "cpu") cases.Add((96, 40));   // 4·96² multiply-adds a step: the parallel row blocks
        int seed = 40;
        foreach (var (channels, frames) in cases)
        {
            // Weights at PyTorch's init scale, 1/√C, and gate inputs of a few units: gates that saturate and gates
            // that do not.
            double scale = 1 / Math.Sqrt(channels);
            float[] gates = Float64Reference.Random(4 * channels * frames, seed++, 3);
            float[] w = Float64Reference.Random(4 * channels * channels, seed++, scale), b = Float64Reference.Random(4 * channels, seed++, scale);
            using var tg = backend.Upload(gates, 4 * channels, frames);
            using var tw = backend.Upload(w, 4 * channels, channels);
            using var tb = backend.Upload(b, 4 * channels);
            using var ty = backend.Upload(Float64Reference.Poison(channels * frames), channels, frames);
            backend.Lstm(tg, tw, tb, ty);
            var got = Download(backend, ty);
            var expected = Lstm(gates, w, b, channels, frames);
            // h ∈ (−1, 1), where an ulp is at most 6e-8. Each step adds the f32 rounding of a C-term dot product and a
            // few ulp of vectorised exp and tanh, and the forget gate (< 1) damps what earlier steps left: the worst
            // seen is under 3e-7. 1e-6 absolute allows for that growing with C and T, and is far below any wrong gate.
            for (int i = 0; i < got.Length; i++)
                Assert.True(Math.Abs(got[i] - expected[i]) <= 1e-6, $"{backendName} lstm C {channels} T {frames} at {i}: {got[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void LstmShapesGiveTheSameErrorOnBothBackends()
    {
        var messages = new Dictionary<string, List<string>>();
        foreach (var name in new[] { "cpu", "ilgpu-cpu" })
        {
            var b = backends.Get(name);
            var list = messages[name] = [];
            void Expect(string contains, Action call)
            {
                var e = Assert.Throws<ArgumentException>(call);
                Assert.Contains(contains, e.Message);
                list.Add(e.Message);
            }

            using var gates = b.Allocate(12, 7);
            using var whh = b.Allocate(12, 3);
            using var bhh = b.Allocate(12);
            using var hidden = b.Allocate(3, 6);
            using var square = b.Allocate(3, 3);
            Expect("lstm: output must be [3, 7], found [3, 6]", () => b.Lstm(gates, whh, bhh, hidden));
            Expect("lstm: weight_hh must be [4·channels, channels], found [3, 3]", () => b.Lstm(gates, square, bhh, hidden));
            Expect("lstm: input gates must be [12, frames] for weight_hh [12, 3], found [3, 6]", () => b.Lstm(hidden, whh, bhh, hidden));
        }
        Assert.Equal(messages["cpu"], messages["ilgpu-cpu"]);
    }
}
