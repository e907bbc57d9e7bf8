using ILGPU.Runtime;

namespace V2Meow.Kernels;

/// <summary>
/// Group sizes taken from the accelerator's limits rather than hard-coded: CUDA allows 1024 threads a
/// group, ILGPU's CPU accelerator 16 by default.
/// </summary>
public readonly record struct KernelGeometry(int GroupSize, int Tile, int WarpSize, bool UseWarpShuffles, bool IsEmulated = false)
{
    /// <summary>
    /// The geometry for <paramref name="accelerator"/>: one warp a group on ILGPU's CPU accelerator, up to 256 threads on GPUs; warp
    /// shuffles on CUDA only.
    /// </summary>
    public static KernelGeometry For(Accelerator accelerator)
    {
        int maxThreads = accelerator.MaxNumThreadsPerGroup;
        int warp = Math.Max(1, accelerator.WarpSize);
        // ILGPU's CPU accelerator emulates each thread of a group with an OS thread; a group barrier costs
        // about 50 µs at 4 threads and 280 µs at 16 (2-core machine). There, groups of one warp keep the
        // reductions cheap while still running them across several threads.
        bool emulated = accelerator.AcceleratorType == AcceleratorType.CPU;
        int group = emulated ? LargestPowerOfTwoAtMost(Math.Min(warp, maxThreads)) : LargestPowerOfTwoAtMost(Math.Min(256, maxThreads));
        // Square GEMM tiles of tile × tile threads: 16 on GPUs, 4 on the CPU emulator.
        int tile = LargestPowerOfTwoAtMost((int)Math.Sqrt(Math.Min(256, maxThreads)));
        // Warp shuffles are reliable on CUDA only; OpenCL offers them on Intel alone, so OpenCL and the CPU
        // accelerator take the shared-memory reduction.
        bool shuffles = accelerator.AcceleratorType == AcceleratorType.Cuda;
        return new KernelGeometry(group, Math.Max(1, tile), warp, shuffles, emulated);
    }

    static int LargestPowerOfTwoAtMost(int value)
    {
        int p = 1;
        while (p * 2 <= value) p *= 2;
        return p;
    }
}
