namespace V2Meow.Runtime.Scoring;

/// <summary>
/// Music onsets as the project's evaluation finds them (training/text_tower.py <c>onset_envelope</c> and
/// <c>onset_times</c>; docs/scoring.md): spectral-flux peaks of a 100 Hz log-mel of 16 kHz mono audio.
/// </summary>
/// <remarks>
/// <para>Envelope: power spectrum |STFT|² of frames of <see cref="FftSize"/> samples every
/// <see cref="Hop"/> (10 ms), periodic Hann window, frames centred (the signal reflected by FftSize/2 at
/// both ends, as torch.stft's center=True); <see cref="Bands"/> triangular mel bands from 30 Hz to 8 kHz
/// (HTK mel scale, the bands of training/common.py <c>mel_filterbank</c>); L = ln(mel + 1e-5); the
/// envelope e[j] = mean over bands of max(0, L[j + 1] − L[j]).</para>
/// <para>Onsets: j with e[j] &gt; mean(e) + 0.25·std(e), e[j] ≥ e[j − 1] and e[j] &gt; e[j + 1] (1 ≤ j ≤ len − 2),
/// at least 5 frames (50 ms) after the previous onset; at time (j + 1) / 100 s. Audio of FftSize/2 samples
/// or less has no onsets.</para>
/// </remarks>
public static class OnsetDetector
{
    /// <summary>The rate the detector reads (the default model's; other audio is resampled to it).</summary>
    public const int SampleRate = 16000;
    /// <summary>FFT length: 32 ms.</summary>
    public const int FftSize = 512;
    /// <summary>Hop between frames: 10 ms, so the envelope runs at 100 Hz.</summary>
    public const int Hop = 160;
    /// <summary>Mel bands.</summary>
    public const int Bands = 64;
    /// <summary>Envelope frames per second.</summary>
    public const double FrameRate = (double)SampleRate / Hop;
    /// <summary>Peak threshold: mean + Delta · standard deviation of the envelope.</summary>
    public const double Delta = 0.25;
    /// <summary>Fewest envelope frames between two onsets (50 ms).</summary>
    public const int Wait = 5;

    static readonly Lazy<double[,]> Filterbank = new(MelFilterbank);
    static readonly Lazy<(double[] Cos, double[] Sin, double[] Window)> Tables = new(MakeTables);

    /// <summary>Onset times in seconds of <paramref name="samples"/> (mono, <see cref="SampleRate"/>).</summary>
    public static IReadOnlyList<double> Onsets(ReadOnlySpan<float> samples) => Peaks(Envelope(samples));

    /// <summary>The spectral-flux envelope, one value per 10 ms frame after the first.</summary>
    public static double[] Envelope(ReadOnlySpan<float> samples)
    {
        int n = samples.Length;
        if (n <= FftSize / 2) return [];
        int frames = 1 + n / Hop;
        int bins = FftSize / 2 + 1;
        var fb = Filterbank.Value;
        var (cos, sin, window) = Tables.Value;
        var re = new double[FftSize];
        var im = new double[FftSize];
        var power = new double[bins];
        var previous = new double[Bands];
        var current = new double[Bands];
        var envelope = new double[frames - 1];
        for (int t = 0; t < frames; t++)
        {
            int start = t * Hop - FftSize / 2;
            for (int i = 0; i < FftSize; i++)
            {
                re[i] = samples[Reflect(start + i, n)] * window[i];
                im[i] = 0;
            }
            Fft(re, im, cos, sin);
            for (int k = 0; k < bins; k++) power[k] = re[k] * re[k] + im[k] * im[k];
            for (int b = 0; b < Bands; b++)
            {
                double sum = 0;
                for (int k = 0; k < bins; k++) sum += fb[b, k] * power[k];
                current[b] = Math.Log(sum + 1e-5);
            }
            if (t > 0)
            {
                double flux = 0;
                for (int b = 0; b < Bands; b++) flux += Math.Max(0, current[b] - previous[b]);
                envelope[t - 1] = flux / Bands;
            }
            (previous, current) = (current, previous);
        }
        return envelope;
    }

    /// <summary>The onset rule over an envelope (see the remarks), as times in seconds.</summary>
    public static IReadOnlyList<double> Peaks(ReadOnlySpan<double> envelope)
    {
        var onsets = new List<double>();
        if (envelope.Length < 3) return onsets;
        double mean = 0;
        foreach (double e in envelope) mean += e;
        mean /= envelope.Length;
        double variance = 0;
        foreach (double e in envelope) variance += (e - mean) * (e - mean);
        double threshold = mean + Delta * Math.Sqrt(variance / envelope.Length);
        int last = -Wait;
        for (int i = 1; i < envelope.Length - 1; i++)
        {
            if (envelope[i] > threshold && envelope[i] >= envelope[i - 1] && envelope[i] > envelope[i + 1] && i - last >= Wait)
            {
                onsets.Add((i + 1) / FrameRate);
                last = i;
            }
        }
        return onsets;
    }

    /// <summary>torch.stft's reflect padding: index −1 is sample 1, index n is sample n − 2.</summary>
    static int Reflect(int i, int n)
    {
        if (i < 0) return -i;
        if (i >= n) return 2 * (n - 1) - i;
        return i;
    }

    /// <summary>training/common.py mel_filterbank(512): triangles on the HTK mel scale, 30 Hz to 8 kHz, over the 257 FFT bins.</summary>
    static double[,] MelFilterbank()
    {
        static double HzToMel(double f) => 2595 * Math.Log10(1 + f / 700);
        static double MelToHz(double m) => 700 * (Math.Pow(10, m / 2595) - 1);
        int bins = FftSize / 2 + 1;
        var freqs = new double[bins];
        for (int k = 0; k < bins; k++) freqs[k] = (double)SampleRate / 2 * k / (bins - 1);
        double low = HzToMel(30), high = HzToMel(8000);
        var points = new double[Bands + 2];
        for (int i = 0; i < points.Length; i++) points[i] = MelToHz(low + (high - low) * i / (Bands + 1));
        var fb = new double[Bands, bins];
        for (int b = 0; b < Bands; b++)
        {
            double lo = points[b], mid = points[b + 1], hi = points[b + 2];
            for (int k = 0; k < bins; k++)
                fb[b, k] = Math.Max(0, Math.Min((freqs[k] - lo) / (mid - lo), (hi - freqs[k]) / (hi - mid)));
        }
        return fb;
    }

    static (double[] Cos, double[] Sin, double[] Window) MakeTables()
    {
        var cos = new double[FftSize / 2];
        var sin = new double[FftSize / 2];
        for (int k = 0; k < FftSize / 2; k++)
        {
            cos[k] = Math.Cos(2 * Math.PI * k / FftSize);
            sin[k] = Math.Sin(2 * Math.PI * k / FftSize);
        }
        // Periodic Hann (torch.hann_window's default): 0.5 − 0.5 cos(2πi / N).
        var window = new double[FftSize];
        for (int i = 0; i < FftSize; i++) window[i] = 0.5 - 0.5 * Math.Cos(2 * Math.PI * i / FftSize);
        return (cos, sin, window);
    }

    /// <summary>In-place radix-2 FFT (forward, e^(−2πikn/N)) of length <see cref="FftSize"/>.</summary>
    static void Fft(double[] re, double[] im, double[] cos, double[] sin)
    {
        int n = re.Length;
        for (int i = 1, j = 0; i < n; i++)
        {
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1) j ^= bit;
            j ^= bit;
            if (i < j)
            {
                (re[i], re[j]) = (re[j], re[i]);
                (im[i], im[j]) = (im[j], im[i]);
            }
        }
        for (int length = 2; length <= n; length <<= 1)
        {
            int half = length / 2, stride = n / length;
            for (int start = 0; start < n; start += length)
            {
                for (int k = 0; k < half; k++)
                {
                    double wr = cos[k * stride], wi = -sin[k * stride];
                    int a = start + k, b = a + half;
                    double tr = re[b] * wr - im[b] * wi, ti = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - tr;
                    im[b] = im[a] - ti;
                    re[a] += tr;
                    im[a] += ti;
                }
            }
        }
    }
}
