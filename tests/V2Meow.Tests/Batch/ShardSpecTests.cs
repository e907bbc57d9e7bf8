using V2Meow.Runtime.Batch;

namespace V2Meow.Tests.Batch;

/// <summary>Shards from the command line and from the schedulers' own variables.</summary>
public class ShardSpecTests
{
    static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void EveryItemIsInExactlyOneShard()
    {
        var items = Enumerable.Range(0, 41).Select(i => new BatchItem { Index = i, Line = i + 1 }).ToList();
        var shards = Enumerable.Range(0, 4).Select(i => new ShardSpec(i, 4)).ToList();
        foreach (var item in items) Assert.Single(shards, s => s.Contains(item));
        Assert.Equal([0, 4, 8], items.Where(shards[0].Contains).Take(3).Select(i => i.Index));
    }

    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("3/4", 3, 4)]
    [InlineData(" 2/10", 2, 10)]
    public void ParsesIndexOverCount(string text, int index, int count) =>
        Assert.Equal((index, count), (ShardSpec.Parse(text).Index, ShardSpec.Parse(text).Count));

    [Theory]
    [InlineData("4/4")]
    [InlineData("-1/4")]
    [InlineData("1/0")]
    [InlineData("1")]
    [InlineData("a/b")]
    [InlineData("1/2/3")]
    public void RefusesWhatIsNoShard(string text) =>
        Assert.Contains("expected I/N", Assert.Throws<BatchException>(() => ShardSpec.Parse(text)).Message);

    [Fact]
    public void SlurmArraysCountFromTheirMinimumInTheirSteps()
    {
        var plain = ShardSpec.FromEnvironment(null, Env(("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_COUNT", "4")));
        Assert.Equal((2, 4), (plain.Index, plain.Count));
        var fromOne = ShardSpec.FromEnvironment(null, Env(("SLURM_ARRAY_TASK_ID", "4"), ("SLURM_ARRAY_TASK_COUNT", "4"), ("SLURM_ARRAY_TASK_MIN", "1")));
        Assert.Equal((3, 4), (fromOne.Index, fromOne.Count));
        var stepped = ShardSpec.FromEnvironment(null, Env(("SLURM_ARRAY_TASK_ID", "6"), ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "0"), ("SLURM_ARRAY_TASK_STEP", "2")));
        Assert.Equal((3, 4), (stepped.Index, stepped.Count));
        Assert.Contains("Slurm", stepped.Source);
    }

    [Fact]
    public void KubernetesGivesTheIndexAndTheCommandLineTheCount()
    {
        var shard = ShardSpec.FromEnvironment(4, Env(("JOB_COMPLETION_INDEX", "3")));
        Assert.Equal((3, 4), (shard.Index, shard.Count));
        Assert.Contains("--shards N", Assert.Throws<BatchException>(() => ShardSpec.FromEnvironment(null, Env(("JOB_COMPLETION_INDEX", "3")))).Message);
        Assert.Contains("not below --shards 2", Assert.Throws<BatchException>(() => ShardSpec.FromEnvironment(2, Env(("JOB_COMPLETION_INDEX", "3")))).Message);
    }

    [Fact]
    public void OutsideASchedulerTheWholeManifestUnlessACountAsksForMore()
    {
        Assert.Equal(ShardSpec.All.Count, ShardSpec.FromEnvironment(null, Env()).Count);
        Assert.Equal(1, ShardSpec.FromEnvironment(1, Env()).Count);
        Assert.Contains("needs the shard index", Assert.Throws<BatchException>(() => ShardSpec.FromEnvironment(3, Env())).Message);
    }

    [Theory]
    [InlineData("7", "4", null, "not one of the 4 tasks")]
    [InlineData("x", "4", null, "expected a whole number")]
    [InlineData("1", "4", "3", "disagrees")]
    public void BadSlurmVariablesAreOneError(string id, string count, string? shards, string message)
    {
        var e = Assert.Throws<BatchException>(() => ShardSpec.FromEnvironment(shards is null ? null : int.Parse(shards),
            Env(("SLURM_ARRAY_TASK_ID", id), ("SLURM_ARRAY_TASK_COUNT", count))));
        Assert.Contains(message, e.Message);
    }
}
