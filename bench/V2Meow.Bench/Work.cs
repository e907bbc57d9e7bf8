namespace V2Meow.Bench;

/// <summary>What one benchmark operation does, for the throughput and memory columns.</summary>
public sealed record Work(double Amount, Work.Unit Units, long? WeightBytes = null, long? KvPoolBytes = null)
{
    public enum Unit
    {
        /// <summary>Tokens through a stage: shown as tokens/s.</summary>
        Tokens,
        /// <summary>Seconds of audio out of the codec: shown as audio s/s.</summary>
        AudioSeconds,
        /// <summary>Audio samples out of the codec (VMAs): shown as samples/s.</summary>
        Samples,
        /// <summary>Video frames through an encoder (VMAs): shown as frames/s.</summary>
        Frames,
        /// <summary>Bytes a bandwidth-bound kernel must move: shown as GB/s.</summary>
        Bytes,
        /// <summary>Floating-point operations of a compute-bound kernel: shown as GFLOP/s.</summary>
        Flops,
    }
}

/// <summary>
/// A benchmark class that can say, from its parameters alone (no setup run), what one call of each of its
/// benchmark methods does. The columns build an instance in the host process, set its parameters and ask.
/// </summary>
public interface IDescribedWork
{
    Work Describe(string method);
}
