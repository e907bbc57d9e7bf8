using V2Meow.Loaders.Bundles;
using V2Meow.Loaders.Video;

namespace V2Meow.Loaders.Features;

/// <summary>
/// A small hand-written visual feature extractor, the dense stream <c>builtin</c>, so a video can be scored
/// with no precomputed CLIP/I3D features. Per output step (one frame at <c>rates.video_fps</c>) it decodes
/// <see cref="SubFrames"/> frames at <c>SubFrames × fps</c> (at 1 fps: 8 frames at 1/16, 3/16 … 15/16 s of
/// each second), scaled so the short side is at most <see cref="AnalysisShortSide"/>, and reduces them to
/// <see cref="Dimension"/> numbers, each in [0, 1]. SPEC.md, "Built-in visual extractor", is the contract.
/// </summary>
/// <remarks>
/// <para>Layout of a row (P = all pixels of the step's sub-frames; luma Y = 0.299 R + 0.587 G + 0.114 B,
/// BT.601; channels scaled to [0, 1]):</para>
/// <list type="table">
/// <item><term>0, 1, 2</term><description>mean R, G, B over P.</description></item>
/// <item><term>3, 4, 5</term><description>standard deviation of R, G, B over P (population).</description></item>
/// <item><term>6</term><description>brightness: mean Y over P.</description></item>
/// <item><term>7</term><description>contrast: standard deviation of Y over P.</description></item>
/// <item><term>8</term><description>saturation: mean HSV saturation (max − min) / max over P (0 for black).</description></item>
/// <item><term>9 … 16</term><description>hue histogram: fraction of P that is coloured (saturation ≥ 0.2 and
/// value max/255 ≥ 0.2) with hue in bin b = 0…7, bins 45° wide centred on 0° (red), 45°, 90°, … 315°;
/// the 8 sum to the coloured fraction, 0 for a grey picture.</description></item>
/// <item><term>17, 18, 19</term><description>motion energy at lags of 1, 2 and 4 sub-frames (1/8, 1/4 and 1/2 of
/// a step): mean over the step's sub-frames k with k ≥ lag of mean |Y_k − Y_(k−lag)|; the earlier frame may lie
/// in the previous step. 0 when no sub-frame qualifies (the start of the video).</description></item>
/// <item><term>20</term><description>motion peak: the largest lag-1 value of the step.</description></item>
/// <item><term>21</term><description>colour change: the largest, over the step's sub-frames k ≥ 1, of half the
/// L1 distance between the normalised 64-bin RGB histograms (4 levels per channel) of frames k and k − 1.</description></item>
/// <item><term>22</term><description>cut indicator: 1 when the colour change exceeds <see cref="CutThreshold"/>, else 0.</description></item>
/// <item><term>23</term><description>edge density: mean over the sub-frames of the fraction of interior pixels whose
/// Sobel gradient magnitude of Y exceeds <see cref="EdgeThreshold"/>.</description></item>
/// </list>
/// <para>Deterministic: integer sums where they can be exact, fixed-order double sums elsewhere, no
/// threading; the same decoded frames always give the same bits. (Decoding itself belongs to ffmpeg,
/// whose scaler can differ by a level between builds.)</para>
/// </remarks>
public sealed class BuiltInVisualExtractor
{
    /// <summary>The stream name a bundle declares to take these features (SPEC.md, "Built-in visual extractor").</summary>
    public const string StreamName = "builtin";

    /// <summary>Length of a feature row.</summary>
    public const int Dimension = 24;

    /// <summary>Sub-frames decoded per output step.</summary>
    public const int SubFrames = 8;

    /// <summary>Sub-frames are scaled down so their shorter side is at most this.</summary>
    public const int AnalysisShortSide = 128;

    /// <summary>Colour change (feature 21) above which a step is marked as holding a cut.</summary>
    public const double CutThreshold = 0.4;

    /// <summary>Sobel magnitude, on luma in [0, 1], above which a pixel counts as an edge (a sharp step of 0.125).</summary>
    public const double EdgeThreshold = 0.5;

    /// <summary>Feature-name of each column, for inspection and tests.</summary>
    public static IReadOnlyList<string> FeatureNames { get; } =
    [
        "mean_r", "mean_g", "mean_b", "std_r", "std_g", "std_b", "brightness", "contrast", "saturation",
        "hue_0", "hue_45", "hue_90", "hue_135", "hue_180", "hue_225", "hue_270", "hue_315",
        "motion_lag1", "motion_lag2", "motion_lag4", "motion_peak", "colour_change", "cut", "edge_density",
    ];

    /// <summary>The stream config a bundle trained on these features declares: dense, dim <see cref="Dimension"/>.</summary>
    public static StreamConfig Stream { get; } = new(StreamName, "dense", Dimension, 0, 0);

    readonly FFmpegBinaries? _binaries;

    /// <summary>An extractor decoding with the ffmpeg of <paramref name="binaries"/>, or the default lookup when null.</summary>
    public BuiltInVisualExtractor(FFmpegBinaries? binaries = null) => _binaries = binaries;

    /// <summary>
    /// Features of <paramref name="videoPath"/> at <paramref name="fps"/> rows per second:
    /// <see cref="VideoFrameReader.CountFrames"/>(duration, fps) rows, the frames streamed through once.
    /// </summary>
    public async Task<StreamFeatures> ExtractAsync(string videoPath, double fps = 1, CancellationToken cancellationToken = default)
    {
        if (!double.IsFinite(fps) || fps <= 0) throw new ArgumentOutOfRangeException(nameof(fps), fps, "must be a positive number");
        var probe = await VideoProbe.ProbeAsync(videoPath, _binaries, cancellationToken).ConfigureAwait(false);
        return await ExtractAsync(probe, fps, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The features of a video already probed: as <see cref="ExtractAsync(string, double, CancellationToken)"/>, one ffprobe fewer.</summary>
    public async Task<StreamFeatures> ExtractAsync(VideoProbe probe, double fps = 1, CancellationToken cancellationToken = default)
    {
        if (!double.IsFinite(fps) || fps <= 0) throw new ArgumentOutOfRangeException(nameof(fps), fps, "must be a positive number");
        var reader = VideoFrameReader.Open(probe,
            new VideoFrameReaderOptions { Fps = fps * SubFrames, MaxShortSide = AnalysisShortSide, Binaries = _binaries });
        int steps = VideoFrameReader.CountFrames(reader.Probe.DurationSeconds, fps);
        var accumulator = new Accumulator(steps);
        await foreach (var frame in reader.ReadFramesAsync(cancellationToken).ConfigureAwait(false))
            accumulator.Add(frame);
        return StreamFeatures.FromDense(Stream, accumulator.Finish());
    }

    /// <summary>
    /// The features of already decoded sub-frames, in order, <see cref="SubFrames"/> per step (sub-frame k
    /// belongs to step k / SubFrames; any beyond the last step fold into it). Steps past the last
    /// sub-frame repeat the last row, as the reader repeats its last frame.
    /// </summary>
    public static float[,] Compute(IEnumerable<VideoFrame> subFrames, int steps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var accumulator = new Accumulator(steps);
        foreach (var frame in subFrames) accumulator.Add(frame);
        return accumulator.Finish();
    }

    /// <summary>Running sums of the current step, and the last frames the motion and cut features look back at.</summary>
    sealed class Accumulator(int steps)
    {
        const int MaxLag = 4;
        static readonly int[] Lags = [1, 2, 4];
        // Luma in thousandths of a level: 299 R + 587 G + 114 B, exact in integers (max 255 000).
        const double LumaScale = 255_000.0;
        static readonly long EdgeThresholdSquared = (long)(EdgeThreshold * LumaScale * EdgeThreshold * LumaScale);

        readonly float[,] _rows = new float[steps, Dimension];
        readonly int[][] _luma = new int[MaxLag + 1][];
        int[] _histogram = new int[64], _previousHistogram = new int[64];
        int _frames, _width, _height, _step = -1;

        // Sums of the current step.
        int _stepFrames;
        long _pixels, _sumR, _sumG, _sumB, _sumRR, _sumGG, _sumBB, _sumY, _sumYY;
        double _sumSaturation, _sumEdges, _motionPeak, _colourChange;
        readonly long[] _hue = new long[8];
        readonly double[] _motion = new double[3];
        readonly int[] _motionCount = new int[3];

        public void Add(VideoFrame frame)
        {
            if (_frames == 0) (_width, _height) = (frame.Width, frame.Height);
            else if (frame.Width != _width || frame.Height != _height)
                throw new ArgumentException($"sub-frame {_frames} is {frame.Width}x{frame.Height}, the first was {_width}x{_height}");
            int step = Math.Min(_frames / SubFrames, steps - 1);
            if (step != _step)
            {
                if (_step >= 0) Flush();
                _step = step;
            }

            int k = _frames++;
            int n = _width * _height;
            int[] luma = _luma[k % _luma.Length] ??= new int[n];
            (_histogram, _previousHistogram) = (_previousHistogram, _histogram);
            Array.Clear(_histogram);
            AddColour(frame.Rgb.Span, luma, n);
            _sumEdges += EdgeDensity(luma, _width, _height);

            for (int l = 0; l < Lags.Length; l++)
            {
                if (k < Lags[l]) continue;
                double difference = MeanAbsoluteDifference(luma, _luma[(k - Lags[l]) % _luma.Length]) / LumaScale;
                _motion[l] += difference;
                _motionCount[l]++;
                if (l == 0) _motionPeak = Math.Max(_motionPeak, difference);
            }
            if (k >= 1)
            {
                long distance = 0;
                for (int b = 0; b < 64; b++) distance += Math.Abs(_histogram[b] - _previousHistogram[b]);
                _colourChange = Math.Max(_colourChange, 0.5 * distance / n);
            }
            _stepFrames++;
        }

        void AddColour(ReadOnlySpan<byte> rgb, int[] luma, int n)
        {
            long sumR = 0, sumG = 0, sumB = 0, sumRR = 0, sumGG = 0, sumBB = 0, sumY = 0, sumYY = 0;
            double sumSaturation = 0;
            for (int i = 0; i < n; i++)
            {
                int r = rgb[3 * i], g = rgb[3 * i + 1], b = rgb[3 * i + 2];
                sumR += r; sumG += g; sumB += b;
                sumRR += r * r; sumGG += g * g; sumBB += b * b;
                int y = 299 * r + 587 * g + 114 * b;
                luma[i] = y;
                sumY += y;
                sumYY += (long)y * y;

                int max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b)), delta = max - min;
                if (max > 0) sumSaturation += (double)delta / max;
                // Coloured: saturation ≥ 0.2 and value ≥ 0.2, in integers (5·delta ≥ max, 5·max ≥ 255).
                if (delta > 0 && 5 * delta >= max && 5 * max >= 255) _hue[HueBin(r, g, b, max, delta)]++;
                _histogram[(r >> 6) * 16 + (g >> 6) * 4 + (b >> 6)]++;
            }
            _pixels += n;
            _sumR += sumR; _sumG += sumG; _sumB += sumB;
            _sumRR += sumRR; _sumGG += sumGG; _sumBB += sumBB;
            _sumY += sumY; _sumYY += sumYY;
            _sumSaturation += sumSaturation;
        }

        /// <summary>HSV hue in degrees, binned into 8 bins of 45° centred on 0°, 45°, … 315°.</summary>
        static int HueBin(int r, int g, int b, int max, int delta)
        {
            double hue = max == r ? 60.0 * (g - b) / delta
                : max == g ? 60.0 * (b - r) / delta + 120.0
                : 60.0 * (r - g) / delta + 240.0;
            hue += 22.5;
            if (hue < 0) hue += 360.0;
            if (hue >= 360.0) hue -= 360.0;
            return Math.Min(7, (int)(hue / 45.0));
        }

        static double MeanAbsoluteDifference(int[] a, int[] b)
        {
            long sum = 0;
            for (int i = 0; i < a.Length; i++) sum += Math.Abs(a[i] - b[i]);
            return (double)sum / a.Length;
        }

        /// <summary>Fraction of interior pixels whose 3×3 Sobel gradient magnitude exceeds the threshold.</summary>
        static double EdgeDensity(int[] y, int width, int height)
        {
            if (width < 3 || height < 3) return 0;
            long edges = 0;
            for (int row = 1; row < height - 1; row++)
            {
                int above = (row - 1) * width, here = row * width, below = (row + 1) * width;
                for (int x = 1; x < width - 1; x++)
                {
                    long gx = (y[above + x + 1] + 2L * y[here + x + 1] + y[below + x + 1])
                            - (y[above + x - 1] + 2L * y[here + x - 1] + y[below + x - 1]);
                    long gy = (y[below + x - 1] + 2L * y[below + x] + y[below + x + 1])
                            - (y[above + x - 1] + 2L * y[above + x] + y[above + x + 1]);
                    if (gx * gx + gy * gy > EdgeThresholdSquared) edges++;
                }
            }
            return (double)edges / ((long)(width - 2) * (height - 2));
        }

        void Flush()
        {
            var row = new float[Dimension];
            double pixels = _pixels;
            double meanR = _sumR / pixels, meanG = _sumG / pixels, meanB = _sumB / pixels, meanY = _sumY / pixels;
            row[0] = (float)(meanR / 255);
            row[1] = (float)(meanG / 255);
            row[2] = (float)(meanB / 255);
            row[3] = (float)(Std(_sumRR / pixels, meanR) / 255);
            row[4] = (float)(Std(_sumGG / pixels, meanG) / 255);
            row[5] = (float)(Std(_sumBB / pixels, meanB) / 255);
            row[6] = (float)(meanY / LumaScale);
            row[7] = (float)(Std(_sumYY / pixels, meanY) / LumaScale);
            row[8] = (float)(_sumSaturation / pixels);
            for (int b = 0; b < 8; b++) row[9 + b] = (float)(_hue[b] / pixels);
            for (int l = 0; l < 3; l++) row[17 + l] = _motionCount[l] == 0 ? 0f : (float)(_motion[l] / _motionCount[l]);
            row[20] = (float)_motionPeak;
            row[21] = (float)_colourChange;
            row[22] = _colourChange > CutThreshold ? 1f : 0f;
            row[23] = (float)(_sumEdges / _stepFrames);
            for (int j = 0; j < Dimension; j++) _rows[_step, j] = row[j];

            _stepFrames = 0;
            _pixels = _sumR = _sumG = _sumB = _sumRR = _sumGG = _sumBB = _sumY = _sumYY = 0;
            _sumSaturation = _sumEdges = _motionPeak = _colourChange = 0;
            Array.Clear(_hue);
            Array.Clear(_motion);
            Array.Clear(_motionCount);
        }

        static double Std(double meanOfSquares, double mean) => Math.Sqrt(Math.Max(0, meanOfSquares - mean * mean));

        public float[,] Finish()
        {
            if (_frames == 0) throw new ArgumentException("no frames to extract features from");
            Flush();
            for (int s = _step + 1; s < steps; s++)
                for (int j = 0; j < Dimension; j++) _rows[s, j] = _rows[_step, j];
            return _rows;
        }
    }
}
