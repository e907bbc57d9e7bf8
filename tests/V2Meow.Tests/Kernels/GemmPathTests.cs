using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using V2Meow.Kernels;
using V2Meow.Numerics;
using static V2Meow.Tests.Backends.Float64Reference;

namespace V2Meow.Tests.Kernels;

/// <summary>
/// Every GEMM path on ILGPU's CPU accelerator. The backend sends all launches there down the barrier-free
/// rowwise path (barriers are what the emulator is slow at), so the GEMV and tiled kernels GPUs run are
/// exercised here, by name, at tiny sizes.
/// </summary>
public class GemmPathTests
{
    [Theory]
    [InlineData(GemmPath.Gemv, false)]
    [InlineData(GemmPath.Tiled, false)]
    [InlineData(GemmPath.Rowwise, false)]
    [InlineData(GemmPath.Gemv, true)]
    [InlineData(GemmPath.Tiled, true)]
    [InlineData(GemmPath.Rowwise, true)]
    public void EveryPathMatchesFloat64(GemmPath path, bool halfWeights)
    {
        using var context = Context.Create(b => b.CPU().EnableAlgorithms());
        using var accelerator = context.GetPreferredDevice(preferCPU: true).CreateAccelerator(context);
        var gemm = new Gemm(accelerator, KernelGeometry.For(accelerator));
        foreach (var (m, k, n) in new[] { (1, 37, 9), (6, 19, 13) })
        {
            if (path == GemmPath.Gemv && m > 1) continue;
            float[] x = Random(m * k, m), w = Random(n * k, n + k);
            ushort[] bits = w.Select(v => BitConverter.HalfToUInt16Bits((System.Half)v)).ToArray();
            if (halfWeights) w = bits.Select(b => (float)BitConverter.UInt16BitsToHalf(b)).ToArray();
            using var tx = accelerator.Allocate1D(x);
            using var tw = accelerator.Allocate1D(w);
            using var th = accelerator.Allocate1D(bits);
            using var ty = accelerator.Allocate1D(Poison(m * n));
            if (halfWeights) gemm.Run(path, accelerator.DefaultStream, tx.View, th.View, WeightFormat.Float16, ty.View, m, k, n);
            else gemm.Run(path, accelerator.DefaultStream, tx.View, tw.View, ty.View, m, k, n);
            accelerator.Synchronize();
            var expected = new double[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    for (int t = 0; t < k; t++) expected[i * n + j] += (double)x[i * k + t] * w[j * k + t];
            // f16 widening is exact; only the f32 accumulation order differs from the f64 loop.
            Assert.True(RelativeError(ty.GetAsArray1D(), expected) < 1e-5, $"{path} [{m},{k},{n}]");
        }
    }
}
