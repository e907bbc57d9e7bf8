namespace V2Meow.Runtime.Codecs;

/// <summary>
/// A recording as codec codes (SPEC §9.3): codes [levels, frames] of a waveform of <see cref="Samples"/> samples at
/// <see cref="SampleRate"/> Hz, <see cref="Hop"/> samples a frame, each code in [0, <see cref="CodebookSize"/>);
/// <see cref="Bundle"/> names the bundle whose codec made them. <see cref="CodesFile"/> stores it.
/// </summary>
public sealed record EncodedAudio(AcousticCodes Codes, int Samples, int SampleRate, int Hop, int CodebookSize, string Bundle)
{
    /// <summary>The original recording's length in seconds.</summary>
    public double DurationSeconds => (double)Samples / SampleRate;
}
