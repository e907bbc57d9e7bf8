using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using V2Meow.Kernels;

namespace V2Meow.Tests.Kernels;

/// <summary>
/// Compiles every kernel for CUDA (PTX, sm_90) and OpenCL C without a device, so a kernel that either
/// code generator rejects fails here rather than on a user's GPU.
/// </summary>
public class CodeGenerationTests
{
    public static TheoryData<string> KernelNames() => Names(KernelCatalog.All);

    // Warp shuffles exist on OpenCL only as Intel's subgroup extension; those kernels are CUDA-only by
    // design and the launchers never pick them there.
    public static TheoryData<string> PortableKernelNames() => Names(KernelCatalog.All.Where(k => !k.NeedsWarpShuffles));

    static TheoryData<string> Names(IEnumerable<KernelEntry> kernels)
    {
        var data = new TheoryData<string>();
        foreach (var k in kernels) data.Add(k.Name);
        return data;
    }

    static KernelEntry Find(string name) => KernelCatalog.All.Single(k => k.Name == name);

    static EntryPointDescription EntryPoint(KernelEntry kernel) => kernel.Grouping == KernelGrouping.Implicit
        ? EntryPointDescription.FromImplicitlyGroupedKernel(kernel.Method)
        : EntryPointDescription.FromExplicitlyGroupedKernel(kernel.Method);

    [Fact]
    public void CatalogFindsTheKernels()
    {
        Assert.Contains(KernelCatalog.All, k => k.Name == "Gemm.Tiled" && k.Grouping == KernelGrouping.Explicit);
        Assert.Contains(KernelCatalog.All, k => k.Name == "Elementwise.Add" && k.Grouping == KernelGrouping.Implicit);
        Assert.Contains(KernelCatalog.All, k => k.Name == "Gemm.GemvShuffle" && k.NeedsWarpShuffles);
    }

    [Theory]
    [MemberData(nameof(KernelNames))]
    public void CompilesToPtxForSm90(string name)
    {
        var kernel = Find(name);
        using var context = Context.Create(b => b.Cuda().EnableAlgorithms());
        using var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90),
            CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, null);
        var compiled = backend.Compile(EntryPoint(kernel), new KernelSpecialization());
        var ptx = Assert.IsType<PTXCompiledKernel>(compiled);
        Assert.Contains(".entry", ptx.PTXAssembly);
        // ILGPU 1.5.3 caps the emitted target at sm_80 even when asked for sm_90; the driver JIT-compiles
        // sm_80 PTX for Hopper, so what this checks is that code generation succeeds for that chain.
        Assert.Matches(@"\.target sm_[89]0", ptx.PTXAssembly);
    }

    [Fact]
    public void GuidanceRoundsItsProductOnCuda()
    {
        // A plain mul.f32 feeding an add.f32 may be contracted into one fma by ptxas; the contract rounds the product.
        using var context = Context.Create(b => b.Cuda().EnableAlgorithms());
        using var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90),
            CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, null);
        var ptx = Assert.IsType<PTXCompiledKernel>(backend.Compile(EntryPoint(Find("Guidance.Mix")), new KernelSpecialization())).PTXAssembly;
        Assert.Contains("mul.rn.f32", ptx);
        Assert.Contains("add.rn.f32", ptx);
    }

    [Fact]
    public void RvqSearchRoundsEachSquareOnCuda()
    {
        // SPEC §9.3 rounds each square before its sum; a plain mul.f32 feeding an add.f32 may become one fma.
        using var context = Context.Create(b => b.Cuda().EnableAlgorithms());
        using var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90),
            CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, null);
        var ptx = Assert.IsType<PTXCompiledKernel>(backend.Compile(EntryPoint(Find("Rvq.Encode")), new KernelSpecialization())).PTXAssembly;
        Assert.Contains("mul.rn.f32", ptx);
        Assert.Contains("add.rn.f32", ptx);
        Assert.DoesNotContain("fma", ptx);
    }

    [Theory]
    [MemberData(nameof(PortableKernelNames))]
    public void CompilesToOpenCLC(string name)
    {
        var kernel = Find(name);
        using var context = Context.Create(b => b.OpenCL().EnableAlgorithms());
        // f64 kernels are compiled as for a device with cl_khr_fp64; their launchers require it.
        using var backend = new CLBackend(context, new CLCapabilityContext(false, kernel.NeedsFloat64, false, false, true),
            CLDeviceVendor.Nvidia, CLCVersion.CL20);
        var compiled = backend.Compile(EntryPoint(kernel), new KernelSpecialization());
        var source = Assert.IsType<CLCompiledKernel>(compiled).Source;
        Assert.Contains("kernel", source);
    }
}
