using V2Meow.Loaders.Bundles.Vmas;
using V2Meow.Loaders.Safetensors;

namespace V2Meow.Runtime.Families.Vmas;

/// <summary>
/// VMAs' contrastive projections (VMAS.md §14): a video's encoder memory and a recording's codes each to a unit
/// vector in one space, compared by cosine similarity. The arithmetic is a few thousand multiply-adds per item, so it
/// runs on the host in float64 (VMAS.md §14.3): every backend then ranks alike, up to the memory's own rounding.
/// Holds its weights, widened to float64, and the codec's codebooks; nothing on a device.
/// </summary>
internal sealed class ContrastiveProjections
{
    readonly double[] _videoWeight, _videoBias, _musicWeight, _musicBias, _codebooks;
    readonly int _levels, _codebookSize;

    /// <summary>E: the width of the shared space.</summary>
    public int Dim { get; }
    /// <summary>d: the width of a memory row.</summary>
    public int VideoWidth { get; }
    /// <summary>D: the width of a codebook row.</summary>
    public int MusicWidth { get; }

    ContrastiveProjections(SafetensorsFile projections, SafetensorsFile codec)
    {
        _videoWeight = Widen(projections.Get("video.weight"));
        _videoBias = Widen(projections.Get("video.bias"));
        _musicWeight = Widen(projections.Get("music.weight"));
        _musicBias = Widen(projections.Get("music.bias"));
        var codebooks = codec.Get("rvq.codebooks");
        _codebooks = Widen(codebooks);
        (_levels, _codebookSize, MusicWidth) = ((int)codebooks.Shape[0], (int)codebooks.Shape[1], (int)codebooks.Shape[2]);
        Dim = _videoBias.Length;
        VideoWidth = _videoWeight.Length / Dim;
    }

    /// <summary>The projections of a validated bundle that has them (<see cref="VmasConfig.Contrastive"/> not null).</summary>
    public static ContrastiveProjections Load(VmasBundle bundle) =>
        new(bundle.Component(VmasContrastiveConfig.Component), bundle.Component("codec"));

    /// <summary>Every value of a tensor as float64: exact from F32, F16 and BF16.</summary>
    static double[] Widen(TensorView view) => Array.ConvertAll(view.ToFloat32(), v => (double)v);

    /// <summary>Running sums of memory rows, window after window, for <see cref="Video"/>.</summary>
    public sealed class VideoSum(int width)
    {
        internal readonly double[] Sum = new double[width];
        internal long Rows;

        /// <summary>Adds rows [rows, d] (row-major) to the sum, in row order.</summary>
        public void Add(ReadOnlySpan<float> memory)
        {
            int width = Sum.Length;
            if (memory.Length % width != 0) throw new ArgumentException($"{memory.Length} values are not whole rows of {width}", nameof(memory));
            for (int r = 0; r < memory.Length / width; r++)
                for (int i = 0; i < width; i++) Sum[i] += memory[r * width + i];
            Rows += memory.Length / width;
        }
    }

    /// <summary>A new sum for one video's memory rows.</summary>
    public VideoSum StartVideo() => new(VideoWidth);

    /// <summary>v = unit(video.weight · v̄ + video.bias), v̄ the mean of every row added (VMAS.md §14.3).</summary>
    public float[] Video(VideoSum rows)
    {
        if (rows.Rows == 0) throw new InvalidOperationException("no memory rows: the video's windows were not encoded");
        var mean = rows.Sum.Select(s => s / rows.Rows).ToArray();
        return Unit(Project(_videoWeight, _videoBias, mean));
    }

    /// <summary>
    /// m = unit(music.weight · m̄ + music.bias), m̄ the mean over frames of Σ_q codebooks[q, codes[q, t]] (VMAS.md
    /// §14.3): codes [levels, frames] row-major, every level of the codec, each code in [0, N).
    /// </summary>
    public float[] Music(ReadOnlySpan<int> codes, int levels)
    {
        if (levels != _levels) throw new ArgumentException($"codes of {levels} levels; the contrastive projections read all {_levels} of the codec's", nameof(codes));
        if (codes.Length == 0 || codes.Length % levels != 0) throw new ArgumentException($"{codes.Length} codes are not whole frames of {levels} levels", nameof(codes));
        int frames = codes.Length / levels, width = MusicWidth;
        var sum = new double[width];
        // Frame by frame, level by level: z[t] summed in level order, then added to the running sum over frames.
        var z = new double[width];
        for (int t = 0; t < frames; t++)
        {
            Array.Clear(z);
            for (int q = 0; q < levels; q++)
            {
                int code = codes[q * frames + t];
                if ((uint)code >= (uint)_codebookSize) throw new ArgumentException($"code {code} at level {q}, frame {t} is outside [0, {_codebookSize})", nameof(codes));
                var row = _codebooks.AsSpan(((q * _codebookSize) + code) * width, width);
                for (int i = 0; i < width; i++) z[i] += row[i];
            }
            for (int i = 0; i < width; i++) sum[i] += z[i];
        }
        for (int i = 0; i < width; i++) sum[i] /= frames;
        return Unit(Project(_musicWeight, _musicBias, sum));
    }

    /// <summary>The cosine similarity of two unit vectors: their dot product, summed in float64 in index order.</summary>
    public static double Similarity(ReadOnlySpan<float> video, ReadOnlySpan<float> music)
    {
        if (video.Length != music.Length) throw new ArgumentException($"vectors of {video.Length} and {music.Length} values");
        double dot = 0;
        for (int i = 0; i < video.Length; i++) dot += (double)video[i] * music[i];
        return dot;
    }

    /// <summary>weight [E, n] · x [n] + bias [E], each output's sum over n in index order, then the bias.</summary>
    static double[] Project(double[] weight, double[] bias, double[] x)
    {
        var y = new double[bias.Length];
        for (int o = 0; o < y.Length; o++)
        {
            double s = 0;
            for (int i = 0; i < x.Length; i++) s += weight[o * x.Length + i] * x[i];
            y[o] = s + bias[o];
        }
        return y;
    }

    /// <summary>x / ‖x‖₂ rounded to float32; a zero vector stays zero (VMAS.md §14.3).</summary>
    static float[] Unit(double[] x)
    {
        double squares = 0;
        foreach (double v in x) squares += v * v;
        double norm = Math.Sqrt(squares);
        return x.Select(v => norm > 0 ? (float)(v / norm) : 0f).ToArray();
    }
}
