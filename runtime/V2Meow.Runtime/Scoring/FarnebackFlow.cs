namespace V2Meow.Runtime.Scoring;

/// <summary>
/// Dense optical flow by polynomial expansion (G. Farnebäck, "Two-Frame Motion Estimation Based on
/// Polynomial Expansion", SCIA 2003), computed the way OpenCV's <c>calcOpticalFlowFarneback</c> computes it
/// with flags 0, so that AV-Align's motion curve can be measured without OpenCV: the same image pyramid
/// (Gaussian blur with σ = (1/scale − 1)/2, then bilinear resize; an exact halving averages 2×2 blocks), the
/// same separable polynomial expansion with replicated borders, the same attenuated 5-pixel border in the
/// displacement equations, a box-filtered neighbourhood and the same regularised 2×2 solve. docs/scoring.md
/// gives the agreement with OpenCV measured on the committed fixtures.
/// </summary>
/// <remarks>
/// Not safe to share between threads (it reuses its buffers); make one per thread. Frames are prepared once
/// (<see cref="Prepare"/>) and may take part in two pairs, as consecutive video frames do.
/// </remarks>
public sealed class FarnebackFlow
{
    /// <summary>Each pyramid level is this fraction of the one below (AV-Align: 0.5).</summary>
    public double PyramidScale { get; }
    /// <summary>Pyramid levels above the image itself, fewer when a level would be under 32 pixels (AV-Align: 3).</summary>
    public int Levels { get; }
    /// <summary>Side of the averaging window (AV-Align: 15).</summary>
    public int WindowSize { get; }
    /// <summary>Iterations per level (AV-Align: 3).</summary>
    public int Iterations { get; }
    /// <summary>Half-size of the neighbourhood of the polynomial expansion (AV-Align: 5).</summary>
    public int PolyN { get; }
    /// <summary>σ of the Gaussian that weights the expansion (AV-Align: 1.2).</summary>
    public double PolySigma { get; }

    const int MinLevelSize = 32;

    readonly float[] _g, _xg, _xxg;
    readonly double _ig11, _ig03, _ig33, _ig55;

    /// <summary>Flow with AV-Align's settings (<c>cv2.calcOpticalFlowFarneback(prev, next, None, 0.5, 3, 15, 3, 5, 1.2, 0)</c>) unless told otherwise.</summary>
    public FarnebackFlow(double pyramidScale = 0.5, int levels = 3, int windowSize = 15, int iterations = 3, int polyN = 5, double polySigma = 1.2)
    {
        if (!(pyramidScale > 0 && pyramidScale < 1)) throw new ArgumentOutOfRangeException(nameof(pyramidScale), pyramidScale, "between 0 and 1");
        ArgumentOutOfRangeException.ThrowIfNegative(levels);
        if (windowSize < 1 || windowSize % 2 == 0) throw new ArgumentOutOfRangeException(nameof(windowSize), windowSize, "an odd number >= 1");
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(polyN, 1);
        if (!(polySigma > 0)) throw new ArgumentOutOfRangeException(nameof(polySigma), polySigma, "a positive number");
        (PyramidScale, Levels, WindowSize, Iterations, PolyN, PolySigma) = (pyramidScale, levels, windowSize, iterations, polyN, polySigma);
        (_g, _xg, _xxg, _ig11, _ig03, _ig33, _ig55) = ExpansionKernels(polyN, polySigma);
    }

    /// <summary>A gray frame made ready for flow: its polynomial expansion at every pyramid level.</summary>
    public sealed class Frame
    {
        internal Frame(int width, int height, float[][] expansions, (int Width, int Height)[] sizes)
        {
            Width = width;
            Height = height;
            Expansions = expansions;
            Sizes = sizes;
        }

        /// <summary>Width in pixels.</summary>
        public int Width { get; }
        /// <summary>Height in pixels.</summary>
        public int Height { get; }
        internal float[][] Expansions { get; }
        internal (int Width, int Height)[] Sizes { get; }
    }

    /// <summary>Prepares <paramref name="gray"/>, row-major 8-bit luma of <paramref name="width"/>×<paramref name="height"/>.</summary>
    public Frame Prepare(ReadOnlySpan<byte> gray, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (gray.Length != (long)width * height) throw new ArgumentException($"{width}x{height} needs {width * height} bytes, got {gray.Length}", nameof(gray));
        var image = new float[gray.Length];
        for (int i = 0; i < image.Length; i++) image[i] = gray[i];

        // As OpenCV: go up while both sides stay at least 32 pixels.
        int levels = 0;
        double scale = 1;
        for (; levels < Levels; levels++)
        {
            scale *= PyramidScale;
            if (width * scale < MinLevelSize || height * scale < MinLevelSize) break;
        }
        var expansions = new float[levels + 1][];
        var sizes = new (int, int)[levels + 1];
        for (int k = 0; k <= levels; k++)
        {
            double s = 1;
            for (int i = 0; i < k; i++) s *= PyramidScale;
            double sigma = (1 / s - 1) * 0.5;
            int kernelSize = Math.Max(3, (int)Math.Round(sigma * 5, MidpointRounding.ToEven) | 1);
            int w = (int)Math.Round(width * s, MidpointRounding.ToEven), h = (int)Math.Round(height * s, MidpointRounding.ToEven);
            var blurred = GaussianBlur(image, width, height, GaussianKernel(kernelSize, sigma));
            var level = Resize(blurred, width, height, 1, w, h);
            expansions[k] = Expand(level, w, h);
            sizes[k] = (w, h);
        }
        return new Frame(width, height, expansions, sizes);
    }

    /// <summary>The flow from <paramref name="previous"/> to <paramref name="next"/>: [height, width, 2] (dx, dy) in pixels, row-major.</summary>
    public float[] Compute(Frame previous, Frame next)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(next);
        if (previous.Width != next.Width || previous.Height != next.Height)
            throw new ArgumentException($"frames of {previous.Width}x{previous.Height} and {next.Width}x{next.Height}; flow needs one size");
        float[]? flow = null;
        int flowWidth = 0, flowHeight = 0;
        for (int k = previous.Sizes.Length - 1; k >= 0; k--)
        {
            var (w, h) = previous.Sizes[k];
            if (flow is null) flow = new float[w * h * 2];
            else
            {
                flow = Resize(flow, flowWidth, flowHeight, 2, w, h);
                float up = (float)(1 / PyramidScale);
                for (int i = 0; i < flow.Length; i++) flow[i] *= up;
            }
            (flowWidth, flowHeight) = (w, h);
            var r0 = previous.Expansions[k];
            var r1 = next.Expansions[k];
            var matrices = new float[w * h * 5];
            UpdateMatrices(r0, r1, flow, matrices, w, h);
            for (int i = 0; i < Iterations; i++)
            {
                SolveFlow(matrices, flow, w, h);
                if (i < Iterations - 1) UpdateMatrices(r0, r1, flow, matrices, w, h);
            }
        }
        return flow!;
    }

    /// <summary>The mean over pixels of the flow's length from <paramref name="previous"/> to <paramref name="next"/>.</summary>
    public double MeanMagnitude(Frame previous, Frame next)
    {
        var flow = Compute(previous, next);
        double sum = 0;
        for (int i = 0; i < flow.Length; i += 2) sum += MathF.Sqrt(flow[i] * flow[i] + flow[i + 1] * flow[i + 1]);
        return sum / (flow.Length / 2);
    }

    /// <summary>
    /// OpenCV's 8-bit RGB → gray: (9798 R + 19235 G + 3735 B + 2^14) >> 15, BT.601's 0.299, 0.587, 0.114 in
    /// 15-bit fixed point, rounded; equal to cv2.cvtColor(rgb, COLOR_RGB2GRAY) on every pixel.
    /// </summary>
    public static byte[] Gray(ReadOnlySpan<byte> rgb)
    {
        var gray = new byte[rgb.Length / 3];
        for (int i = 0; i < gray.Length; i++)
            gray[i] = (byte)((9798 * rgb[3 * i] + 19235 * rgb[3 * i + 1] + 3735 * rgb[3 * i + 2] + (1 << 14)) >> 15);
        return gray;
    }

    // ---------------------------------------------------------------- pyramid

    /// <summary>
    /// A normalised Gaussian of <paramref name="size"/> taps. σ ≤ 0 takes OpenCV's fixed binomial kernels
    /// (size 3: ¼, ½, ¼), as the pyramid's base level (σ = 0) does.
    /// </summary>
    static float[] GaussianKernel(int size, double sigma)
    {
        if (sigma <= 0)
        {
            return size switch
            {
                1 => [1f],
                3 => [0.25f, 0.5f, 0.25f],
                5 => [0.0625f, 0.25f, 0.375f, 0.25f, 0.0625f],
                7 => [0.03125f, 0.109375f, 0.21875f, 0.28125f, 0.21875f, 0.109375f, 0.03125f],
                _ => GaussianKernel(size, 0.3 * ((size - 1) * 0.5 - 1) + 0.8),
            };
        }
        var kernel = new double[size];
        double sum = 0;
        for (int i = 0; i < size; i++)
        {
            double x = i - (size - 1) * 0.5;
            kernel[i] = Math.Exp(-0.5 / (sigma * sigma) * x * x);
            sum += kernel[i];
        }
        return kernel.Select(k => (float)(k / sum)).ToArray();
    }

    /// <summary>Separable blur, rows then columns, mirrored borders without repeating the edge (OpenCV's BORDER_REFLECT_101).</summary>
    static float[] GaussianBlur(float[] image, int width, int height, float[] kernel)
    {
        int r = kernel.Length / 2;
        var rows = new float[image.Length];
        for (int y = 0; y < height; y++)
        {
            int row = y * width;
            for (int x = 0; x < width; x++)
            {
                float sum = 0;
                for (int i = -r; i <= r; i++) sum += kernel[i + r] * image[row + Reflect101(x + i, width)];
                rows[row + x] = sum;
            }
        }
        var output = new float[image.Length];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                float sum = 0;
                for (int i = -r; i <= r; i++) sum += kernel[i + r] * rows[Reflect101(y + i, height) * width + x];
                output[y * width + x] = sum;
            }
        }
        return output;
    }

    static int Reflect101(int i, int n)
    {
        if (n == 1) return 0;
        while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
        return i;
    }

    /// <summary>
    /// OpenCV's bilinear resize of <paramref name="channels"/>-channel float images: source x = (x + ½)·sw/dw − ½,
    /// clamped at the borders; the same size is a copy, and an exact halving averages 2×2 blocks (OpenCV
    /// switches to area interpolation there).
    /// </summary>
    static float[] Resize(float[] source, int sw, int sh, int channels, int dw, int dh)
    {
        if (sw == dw && sh == dh) return (float[])source.Clone();
        var output = new float[dw * dh * channels];
        if (sw == 2 * dw && sh == 2 * dh)
        {
            for (int y = 0; y < dh; y++)
                for (int x = 0; x < dw; x++)
                    for (int c = 0; c < channels; c++)
                    {
                        int a = ((2 * y) * sw + 2 * x) * channels + c, b = a + sw * channels;
                        output[(y * dw + x) * channels + c] = (source[a] + source[a + channels] + source[b] + source[b + channels]) * 0.25f;
                    }
            return output;
        }
        var (x0, x1, ax) = LinearTaps(sw, dw);
        var (y0, y1, ay) = LinearTaps(sh, dh);
        for (int y = 0; y < dh; y++)
        {
            float by = ay[y], bx0 = 1 - by;
            for (int x = 0; x < dw; x++)
            {
                float wx = ax[x], wx0 = 1 - wx;
                for (int c = 0; c < channels; c++)
                {
                    float top = wx0 * source[(y0[y] * sw + x0[x]) * channels + c] + wx * source[(y0[y] * sw + x1[x]) * channels + c];
                    float bottom = wx0 * source[(y1[y] * sw + x0[x]) * channels + c] + wx * source[(y1[y] * sw + x1[x]) * channels + c];
                    output[(y * dw + x) * channels + c] = bx0 * top + by * bottom;
                }
            }
        }
        return output;
    }

    static (int[] First, int[] Second, float[] Weight) LinearTaps(int source, int destination)
    {
        double scale = (double)source / destination;
        var first = new int[destination];
        var second = new int[destination];
        var weight = new float[destination];
        for (int d = 0; d < destination; d++)
        {
            float f = (float)((d + 0.5) * scale - 0.5);
            int s = (int)MathF.Floor(f);
            f -= s;
            if (s < 0) (f, s) = (0, 0);
            if (s >= source - 1) (f, s) = (0, source - 1);
            first[d] = s;
            second[d] = Math.Min(s + 1, source - 1);
            weight[d] = f;
        }
        return (first, second, weight);
    }

    // ---------------------------------------------------------------- polynomial expansion

    /// <summary>
    /// The 1-D Gaussian g and its moments x·g and x²·g over [−n, n], and the entries of the inverse of the
    /// 6×6 normal-equation matrix G of the weighted least-squares fit of 1, x, y, x², y², xy that the
    /// expansion needs (Farnebäck's thesis, §4.3: the fit is a separable correlation followed by G⁻¹).
    /// </summary>
    static (float[] G, float[] Xg, float[] Xxg, double Ig11, double Ig03, double Ig33, double Ig55) ExpansionKernels(int n, double sigma)
    {
        var g = new float[2 * n + 1];
        var xg = new float[2 * n + 1];
        var xxg = new float[2 * n + 1];
        double s = 0;
        for (int x = -n; x <= n; x++)
        {
            g[x + n] = (float)Math.Exp(-x * x / (2 * sigma * sigma));
            s += g[x + n];
        }
        for (int x = -n; x <= n; x++)
        {
            g[x + n] = (float)(g[x + n] / s);
            xg[x + n] = x * g[x + n];
            xxg[x + n] = x * x * g[x + n];
        }
        // G's non-zero entries: the basis 1, x, y, x², y², xy under the weight g(x)·g(y).
        var G = new double[6, 6];
        for (int y = -n; y <= n; y++)
            for (int x = -n; x <= n; x++)
            {
                double w = (double)g[y + n] * g[x + n];
                G[0, 0] += w;
                G[1, 1] += w * x * x;
                G[3, 3] += w * x * x * x * x;
                G[5, 5] += w * x * x * y * y;
            }
        G[2, 2] = G[0, 3] = G[0, 4] = G[3, 0] = G[4, 0] = G[1, 1];
        G[4, 4] = G[3, 3];
        G[3, 4] = G[4, 3] = G[5, 5];
        var inverse = Invert(G);
        return (g, xg, xxg, inverse[1, 1], inverse[0, 3], inverse[3, 3], inverse[5, 5]);
    }

    /// <summary>Gauss–Jordan with partial pivoting; G is symmetric positive definite, so it always succeeds.</summary>
    static double[,] Invert(double[,] matrix)
    {
        int n = matrix.GetLength(0);
        var a = (double[,])matrix.Clone();
        var inverse = new double[n, n];
        for (int i = 0; i < n; i++) inverse[i, i] = 1;
        for (int column = 0; column < n; column++)
        {
            int pivot = column;
            for (int row = column + 1; row < n; row++)
                if (Math.Abs(a[row, column]) > Math.Abs(a[pivot, column])) pivot = row;
            for (int j = 0; j < n; j++)
            {
                (a[column, j], a[pivot, j]) = (a[pivot, j], a[column, j]);
                (inverse[column, j], inverse[pivot, j]) = (inverse[pivot, j], inverse[column, j]);
            }
            double d = a[column, column];
            for (int j = 0; j < n; j++)
            {
                a[column, j] /= d;
                inverse[column, j] /= d;
            }
            for (int row = 0; row < n; row++)
            {
                if (row == column) continue;
                double f = a[row, column];
                if (f == 0) continue;
                for (int j = 0; j < n; j++)
                {
                    a[row, j] -= f * a[column, j];
                    inverse[row, j] -= f * inverse[column, j];
                }
            }
        }
        return inverse;
    }

    /// <summary>
    /// Per pixel, the coefficients of the local quadratic fit, 5 floats: b_y, b_x (linear terms) and
    /// a_yy, a_xx, a_xy (quadratic terms; the constant is not needed). A vertical pass with borders
    /// replicated, then a horizontal one with the row replicated at both ends.
    /// </summary>
    float[] Expand(float[] image, int width, int height)
    {
        int n = PolyN;
        var output = new float[width * height * 5];
        var row = new float[(width + 2 * n) * 3];
        for (int y = 0; y < height; y++)
        {
            int o = n * 3;
            for (int x = 0; x < width; x++)
            {
                row[o + x * 3] = image[y * width + x] * _g[n];
                row[o + x * 3 + 1] = 0;
                row[o + x * 3 + 2] = 0;
            }
            for (int k = 1; k <= n; k++)
            {
                float g0 = _g[n + k], g1 = _xg[n + k], g2 = _xxg[n + k];
                int above = Math.Max(y - k, 0) * width, below = Math.Min(y + k, height - 1) * width;
                for (int x = 0; x < width; x++)
                {
                    float p = image[above + x] + image[below + x];
                    row[o + x * 3] += g0 * p;
                    row[o + x * 3 + 1] += g1 * (image[below + x] - image[above + x]);
                    row[o + x * 3 + 2] += g2 * p;
                }
            }
            for (int x = 1; x <= n; x++)
                for (int c = 0; c < 3; c++)
                {
                    row[o - x * 3 + c] = row[o + c];
                    row[o + (width - 1 + x) * 3 + c] = row[o + (width - 1) * 3 + c];
                }
            for (int x = 0; x < width; x++)
            {
                int at = o + x * 3;
                double g0 = _g[n];
                double b1 = row[at] * g0, b2 = 0, b3 = row[at + 1] * g0, b4 = 0, b5 = row[at + 2] * g0, b6 = 0;
                for (int k = 1; k <= n; k++)
                {
                    int right = at + k * 3, left = at - k * 3;
                    double sum0 = row[right] + row[left];
                    g0 = _g[n + k];
                    b1 += sum0 * g0;
                    b4 += sum0 * _xxg[n + k];
                    b2 += (row[right] - row[left]) * _xg[n + k];
                    b3 += (row[right + 1] + row[left + 1]) * g0;
                    b6 += (row[right + 1] - row[left + 1]) * _xg[n + k];
                    b5 += (row[right + 2] + row[left + 2]) * g0;
                }
                int d = (y * width + x) * 5;
                output[d] = (float)(b3 * _ig11);
                output[d + 1] = (float)(b2 * _ig11);
                output[d + 2] = (float)(b1 * _ig03 + b5 * _ig33);
                output[d + 3] = (float)(b1 * _ig03 + b4 * _ig33);
                output[d + 4] = (float)(b6 * _ig55);
            }
        }
        return output;
    }

    // ---------------------------------------------------------------- displacement

    /// <summary>Attenuation of the equations in the 5 pixels nearest each border, where the expansion saw replicated pixels.</summary>
    static readonly float[] BorderWeights = [0.14f, 0.14f, 0.4472f, 0.4472f, 0.4472f];

    /// <summary>
    /// Per pixel, the terms of the displacement equations (Farnebäck 2003, eq. 9–12) at the current flow:
    /// A = (A₁ + A₂(x + d)) / 2 and Δb = −(b₂ − b₁)/2 + A·d, with the second frame's expansion read bilinearly
    /// at the displaced position (outside the image: the first frame's A, no Δb); stored as the entries of
    /// AᵀA (g11, g12, g22) and AᵀΔb (h1, h2).
    /// </summary>
    static void UpdateMatrices(float[] r0, float[] r1, float[] flow, float[] matrices, int width, int height)
    {
        const int border = 5;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int p = y * width + x;
                float dx = flow[2 * p], dy = flow[2 * p + 1];
                float fx = x + dx, fy = y + dy;
                int x1 = (int)MathF.Floor(fx), y1 = (int)MathF.Floor(fy);
                float r2, r3, r4, r5, r6;
                int a = p * 5;
                fx -= x1;
                fy -= y1;
                if ((uint)x1 < (uint)(width - 1) && (uint)y1 < (uint)(height - 1))
                {
                    float a00 = (1 - fx) * (1 - fy), a01 = fx * (1 - fy), a10 = (1 - fx) * fy, a11 = fx * fy;
                    int q = (y1 * width + x1) * 5, q1 = q + width * 5;
                    r2 = a00 * r1[q] + a01 * r1[q + 5] + a10 * r1[q1] + a11 * r1[q1 + 5];
                    r3 = a00 * r1[q + 1] + a01 * r1[q + 6] + a10 * r1[q1 + 1] + a11 * r1[q1 + 6];
                    r4 = a00 * r1[q + 2] + a01 * r1[q + 7] + a10 * r1[q1 + 2] + a11 * r1[q1 + 7];
                    r5 = a00 * r1[q + 3] + a01 * r1[q + 8] + a10 * r1[q1 + 3] + a11 * r1[q1 + 8];
                    r6 = a00 * r1[q + 4] + a01 * r1[q + 9] + a10 * r1[q1 + 4] + a11 * r1[q1 + 9];
                    r4 = (r0[a + 2] + r4) * 0.5f;
                    r5 = (r0[a + 3] + r5) * 0.5f;
                    r6 = (r0[a + 4] + r6) * 0.25f;
                }
                else
                {
                    r2 = r3 = 0;
                    r4 = r0[a + 2];
                    r5 = r0[a + 3];
                    r6 = r0[a + 4] * 0.5f;
                }
                r2 = (r0[a] - r2) * 0.5f;
                r3 = (r0[a + 1] - r3) * 0.5f;
                r2 += r4 * dy + r6 * dx;
                r3 += r6 * dy + r5 * dx;
                if ((uint)(x - border) >= (uint)(width - border * 2) || (uint)(y - border) >= (uint)(height - border * 2))
                {
                    float scale = (x < border ? BorderWeights[x] : 1f) * (x >= width - border ? BorderWeights[width - x - 1] : 1f) *
                                  (y < border ? BorderWeights[y] : 1f) * (y >= height - border ? BorderWeights[height - y - 1] : 1f);
                    r2 *= scale; r3 *= scale; r4 *= scale; r5 *= scale; r6 *= scale;
                }
                matrices[a] = r4 * r4 + r6 * r6;
                matrices[a + 1] = (r4 + r5) * r6;
                matrices[a + 2] = r5 * r5 + r6 * r6;
                matrices[a + 3] = r4 * r2 + r6 * r3;
                matrices[a + 4] = r6 * r2 + r5 * r3;
            }
        }
    }

    /// <summary>
    /// The flow that solves the equations averaged over a WindowSize × WindowSize box around each pixel
    /// (borders replicated): d = (ΣAᵀA)⁻¹ ΣAᵀΔb, with 10⁻³ added to the determinant as OpenCV does, so a
    /// flat neighbourhood (no texture, a singular system) gives no motion instead of a division by zero.
    /// </summary>
    void SolveFlow(float[] matrices, float[] flow, int width, int height)
    {
        int m = WindowSize / 2;
        double scale = 1.0 / (WindowSize * WindowSize);
        var vertical = new double[width * 5];
        for (int x = 0; x < width * 5; x++)
        {
            double sum = matrices[x] * (m + 1);
            for (int i = 1; i <= m; i++) sum += matrices[Math.Min(i, height - 1) * width * 5 + x];
            vertical[x] = sum;
        }
        for (int y = 0; y < height; y++)
        {
            if (y > 0)
            {
                int add = Math.Min(y + m, height - 1) * width * 5, remove = Math.Max(y - m - 1, 0) * width * 5;
                for (int x = 0; x < width * 5; x++) vertical[x] += matrices[add + x] - matrices[remove + x];
            }
            double g11 = 0, g12 = 0, g22 = 0, h1 = 0, h2 = 0;
            for (int i = -m; i <= m; i++)
            {
                int c = Math.Clamp(i, 0, width - 1) * 5;
                g11 += vertical[c]; g12 += vertical[c + 1]; g22 += vertical[c + 2]; h1 += vertical[c + 3]; h2 += vertical[c + 4];
            }
            for (int x = 0; x < width; x++)
            {
                if (x > 0)
                {
                    int add = Math.Min(x + m, width - 1) * 5, remove = Math.Max(x - m - 1, 0) * 5;
                    g11 += vertical[add] - vertical[remove];
                    g12 += vertical[add + 1] - vertical[remove + 1];
                    g22 += vertical[add + 2] - vertical[remove + 2];
                    h1 += vertical[add + 3] - vertical[remove + 3];
                    h2 += vertical[add + 4] - vertical[remove + 4];
                }
                double a11 = g11 * scale, a12 = g12 * scale, a22 = g22 * scale, c1 = h1 * scale, c2 = h2 * scale;
                double inverseDeterminant = 1 / (a11 * a22 - a12 * a12 + 1e-3);
                int p = (y * width + x) * 2;
                flow[p] = (float)((a11 * c2 - a12 * c1) * inverseDeterminant);
                flow[p + 1] = (float)((a22 * c1 - a12 * c2) * inverseDeterminant);
            }
        }
    }
}
