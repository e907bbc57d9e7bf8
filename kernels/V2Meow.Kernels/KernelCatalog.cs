using System.Reflection;

namespace V2Meow.Kernels;

/// <summary>How a kernel is launched: ILGPU groups it itself, or the launcher picks the groups.</summary>
public enum KernelGrouping
{
    /// <summary>Loaded with LoadAutoGroupedKernel: one index per thread, ILGPU picks the group size.</summary>
    Implicit,
    /// <summary>Loaded with LoadKernel: the launcher passes a KernelConfig with the grid, group and shared memory.</summary>
    Explicit,
}

/// <summary>
/// Marks a static method as a kernel entry point, so the PTX and OpenCL C code-generation tests find it
/// without a list to keep in step.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class KernelAttribute(KernelGrouping grouping) : Attribute
{
    /// <summary>Whether ILGPU or the launcher picks the groups.</summary>
    public KernelGrouping Grouping { get; } = grouping;
    /// <summary>Uses warp shuffles: CUDA only (OpenCL has them on Intel alone).</summary>
    public bool NeedsWarpShuffles { get; init; }
    /// <summary>Computes in f64: CUDA, and OpenCL devices with cl_khr_fp64.</summary>
    public bool NeedsFloat64 { get; init; }
}

/// <summary>A kernel entry point, as the code-generation checks compile it for CUDA and OpenCL.</summary>
public sealed record KernelEntry(string Family, MethodInfo Method, KernelGrouping Grouping, bool NeedsWarpShuffles, bool NeedsFloat64 = false)
{
    /// <summary>"Family.Method", e.g. "Gemm.Tiled": the family is the declaring class without "Kernels".</summary>
    public string Name => $"{Family}.{Method.Name}";
    /// <summary>The entry's <see cref="Name"/>.</summary>
    public override string ToString() => Name;
}

/// <summary>Every method of this assembly marked <see cref="KernelAttribute"/>.</summary>
public static class KernelCatalog
{
    /// <summary>The kernels, ordered by <see cref="KernelEntry.Name"/>.</summary>
    public static IReadOnlyList<KernelEntry> All { get; } = typeof(KernelCatalog).Assembly.GetTypes()
        .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
        .Select(m => (Method: m, Attribute: m.GetCustomAttribute<KernelAttribute>()))
        .Where(x => x.Attribute is not null)
        .Select(x => new KernelEntry(x.Method.DeclaringType!.Name.Replace("Kernels", ""), x.Method,
            x.Attribute!.Grouping, x.Attribute.NeedsWarpShuffles, x.Attribute.NeedsFloat64))
        .OrderBy(k => k.Name, StringComparer.Ordinal)
        .ToList();
}
