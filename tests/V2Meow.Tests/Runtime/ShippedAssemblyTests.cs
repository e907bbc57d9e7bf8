using System.Reflection;
using V2Meow.Runtime;

namespace V2Meow.Tests.Runtime;

/// <summary>What the runtime package ships is the runtime: no benchmarking, no verification that shells out, no test code.</summary>
public class ShippedAssemblyTests
{
    static readonly Assembly Shipped = typeof(MusicModel).Assembly;

    [Fact]
    public void TheRuntimeReferencesNoToolingOrTestAssembly()
    {
        var references = Shipped.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.Contains("V2Meow.Loaders", references);
        foreach (string tooling in new[] { "V2Meow.Benchmarking", "BenchmarkDotNet", "xunit.core", "xunit.assert", "Microsoft.TestPlatform.CoreUtilities" })
            Assert.DoesNotContain(tooling, references);
    }

    [Fact]
    public void TheRuntimeHoldsNoBenchmarkingTypes()
    {
        var offending = Shipped.GetTypes()
            .Where(t => (t.Namespace ?? "").Contains("Benchmark", StringComparison.Ordinal) || t.Name.Contains("ForTests", StringComparison.Ordinal))
            .Select(t => t.FullName)
            .ToList();
        Assert.Empty(offending);
    }
}
