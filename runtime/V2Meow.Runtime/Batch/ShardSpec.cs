using System.Globalization;

namespace V2Meow.Runtime.Batch;

/// <summary>
/// Which slice of a manifest one process runs: shard <see cref="Index"/> of <see cref="Count"/> takes the
/// items whose position in the manifest is Index modulo Count (0-based). Every process reads the whole
/// manifest and picks its own items, so N processes started with 0/N … N−1/N, on one machine or many, run
/// every item exactly once with nothing shared but the files. Round robin rather than contiguous blocks:
/// a manifest sorted by length or by folder still spreads evenly.
/// </summary>
public readonly record struct ShardSpec
{
    /// <summary>Kubernetes Indexed Jobs: the pod's completion index, 0 to completions − 1.</summary>
    public const string KubernetesIndexVariable = "JOB_COMPLETION_INDEX";
    /// <summary>Slurm job arrays: this task's array index.</summary>
    public const string SlurmIdVariable = "SLURM_ARRAY_TASK_ID";
    /// <summary>Slurm job arrays: how many tasks the array has.</summary>
    public const string SlurmCountVariable = "SLURM_ARRAY_TASK_COUNT";
    /// <summary>Slurm job arrays: the lowest index (an array 1-8 starts at 1).</summary>
    public const string SlurmMinVariable = "SLURM_ARRAY_TASK_MIN";
    /// <summary>Slurm job arrays: the step between indices (an array 0-14:2 steps by 2).</summary>
    public const string SlurmStepVariable = "SLURM_ARRAY_TASK_STEP";

    /// <summary>Most shards: far more machines than anyone runs, small enough that names and counts stay readable.</summary>
    public const int MaxCount = 1_000_000;

    /// <summary>This shard, 0 to <see cref="Count"/> − 1.</summary>
    public int Index { get; }
    /// <summary>How many shards the manifest is split into.</summary>
    public int Count { get; }
    /// <summary>Where the numbers came from, for the log: "--shard", or the scheduler's variables.</summary>
    public string Source { get; }

    /// <summary>Shard <paramref name="index"/> of <paramref name="count"/>.</summary>
    public ShardSpec(int index, int count, string source = "--shard")
    {
        if (count is < 1 or > MaxCount) throw new ArgumentOutOfRangeException(nameof(count), count, $"from 1 to {MaxCount} shards");
        if (index < 0 || index >= count) throw new ArgumentOutOfRangeException(nameof(index), index, $"from 0 to {count - 1}");
        Index = index;
        Count = count;
        Source = source;
    }

    /// <summary>The whole manifest: shard 0 of 1.</summary>
    public static ShardSpec All => new(0, 1, "the whole manifest");

    /// <summary>Whether this is more than the whole manifest's one shard.</summary>
    public bool IsSharded => Count > 1;

    /// <summary>Whether <paramref name="item"/> belongs to this shard.</summary>
    public bool Contains(BatchItem item) => Count <= 1 || item.Index % Count == Index; // default(ShardSpec) is the whole manifest too

    /// <summary>"2/4" (0-based index / count), as <see cref="Parse"/> reads it.</summary>
    public override string ToString() => $"{Index}/{Count}";

    /// <summary>"I/N" with 0 ≤ I &lt; N, e.g. "0/4" … "3/4"; anything else is a <see cref="BatchException"/> saying what was expected.</summary>
    public static ShardSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split('/');
        if (parts.Length == 2 && TryNumber(parts[0], out int index) && TryNumber(parts[1], out int count) &&
            count is >= 1 and <= MaxCount && index < count)
            return new ShardSpec(index, count);
        throw new BatchException($"--shard '{Manifest.Shown(text)}': expected I/N, shard I (0 to N-1) of N (1 to {MaxCount}), e.g. 0/4");
    }

    /// <summary>
    /// The shard the scheduler gives this process, or <see cref="All"/> outside one. Slurm job arrays:
    /// <c>SLURM_ARRAY_TASK_ID</c> and <c>SLURM_ARRAY_TASK_COUNT</c> (with <c>_MIN</c> and <c>_STEP</c>, so
    /// <c>--array=1-8</c> and <c>--array=0-14:2</c> work). Kubernetes Indexed Jobs: <c>JOB_COMPLETION_INDEX</c>,
    /// with the count passed as <paramref name="count"/> (the Job's completions; Kubernetes does not tell the
    /// pod). A <paramref name="count"/> with neither scheduler's variables, or one that disagrees with Slurm's,
    /// is an error: running everything in every process would do the work N times.
    /// </summary>
    public static ShardSpec FromEnvironment(int? count, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (count is { } c && c is < 1 or > MaxCount)
            throw new BatchException($"--shards {c}: expected a count from 1 to {MaxCount}");

        if (Present(environment, SlurmIdVariable) is { } slurmId)
        {
            int id = Variable(SlurmIdVariable, slurmId, 0);
            int min = Present(environment, SlurmMinVariable) is { } m ? Variable(SlurmMinVariable, m, 0) : 0;
            int step = Present(environment, SlurmStepVariable) is { } s ? Variable(SlurmStepVariable, s, 1) : 1;
            int tasks = Present(environment, SlurmCountVariable) is { } n ? Variable(SlurmCountVariable, n, 1)
                : count ?? throw new BatchException($"{SlurmIdVariable} is set but {SlurmCountVariable} is not; pass --shards N or --shard I/N");
            if (count is { } given && given != tasks)
                throw new BatchException($"--shards {given} disagrees with {SlurmCountVariable}={tasks}; leave --shards out under Slurm");
            if (id < min || (id - min) % step != 0 || (id - min) / step >= tasks)
                throw new BatchException($"{SlurmIdVariable}={id} is not one of the {tasks} tasks from {min} in steps of {step} " +
                    $"({SlurmMinVariable}, {SlurmStepVariable}, {SlurmCountVariable})");
            if (tasks > MaxCount) throw new BatchException($"{SlurmCountVariable}={tasks}: at most {MaxCount} shards");
            int index = (id - min) / step;
            return new ShardSpec(index, tasks, $"Slurm array task {id} ({SlurmIdVariable}), shard {index} of {tasks}");
        }
        if (Present(environment, KubernetesIndexVariable) is { } completion)
        {
            int index = Variable(KubernetesIndexVariable, completion, 0);
            if (count is not { } n)
                throw new BatchException($"{KubernetesIndexVariable}={index} is set (a Kubernetes Indexed Job), but not the shard count: " +
                    "pass --shards N with N the Job's completions");
            if (index >= n) throw new BatchException($"{KubernetesIndexVariable}={index} is not below --shards {n}");
            return new ShardSpec(index, n, $"Kubernetes completion index {index} ({KubernetesIndexVariable}) of {n}");
        }
        if (count is { } alone && alone > 1)
            throw new BatchException($"--shards {alone} needs the shard index: run under a Kubernetes Indexed Job ({KubernetesIndexVariable}) " +
                $"or a Slurm array ({SlurmIdVariable}), or give --shard I/{alone}");
        return All;
    }

    static string? Present(Func<string, string?> environment, string name) =>
        environment(name) is { } value && value.Trim().Length > 0 ? value.Trim() : null;

    static int Variable(string name, string value, int minimum) =>
        TryNumber(value, out int number) && number >= minimum ? number
            : throw new BatchException($"{name}='{Manifest.Shown(value)}': expected a whole number >= {minimum}");

    static bool TryNumber(string text, out int value) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
