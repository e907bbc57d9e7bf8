using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace V2Meow.Runtime.Backends.Cpu;

/// <summary>
/// y[M, N] = x[M, K] · w[N, K]ᵀ on the CPU. Work is split over blocks of 16 output columns: each worker
/// streams its slice of weight rows once and reuses it, from cache, for every input row — what keeps
/// decode (M = 1) bandwidth-bound rather than latency-bound. Prefill (M ≥ 4) runs a 4 × 4 register tile:
/// four x rows and four weight rows per pass, sixteen accumulators, half the loads per multiply-add of a dot product.
/// </summary>
internal static class CpuGemm
{
    const int ColumnBlock = 16;

    public static void Multiply(float[] x, float[] w, float[] y, int m, int k, int n, ParallelOptions parallel)
    {
        int blocks = (n + ColumnBlock - 1) / ColumnBlock;
        Parallel.For(0, blocks, parallel, bi =>
        {
            int n0 = bi * ColumnBlock, n1 = Math.Min(n, n0 + ColumnBlock);
            int row = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; row + 4 <= m; row += 4)
                {
                    int col = n0;
                    for (; col + 4 <= n1; col += 4) Tile4x4(x, w, y, row, col, k, n);
                    for (; col < n1; col++)
                        for (int r = row; r < row + 4; r++) y[r * n + col] = Dot(x, r, w, col, k);
                }
            }
            for (; row < m; row++)
                for (int col = n0; col < n1; col++) y[row * n + col] = Dot(x, row, w, col, k);
        });
    }

    static float Dot(float[] x, int row, float[] w, int col, int k) =>
        TensorPrimitives.Dot(new ReadOnlySpan<float>(x, row * k, k), new ReadOnlySpan<float>(w, col * k, k));

    static unsafe void Tile4x4(float[] x, float[] w, float[] y, int row, int col, int k, int n)
    {
        fixed (float* xp = x, wp = w)
        {
            float* x0 = xp + row * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
            float* w0 = wp + col * k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
            Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
            Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
            Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
            Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
            int i = 0;
            for (; i + 8 <= k; i += 8)
            {
                var v0 = Vector256.Load(w0 + i);
                var v1 = Vector256.Load(w1 + i);
                var v2 = Vector256.Load(w2 + i);
                var v3 = Vector256.Load(w3 + i);
                var u = Vector256.Load(x0 + i);
                a00 = Vector256.FusedMultiplyAdd(u, v0, a00); a01 = Vector256.FusedMultiplyAdd(u, v1, a01);
                a02 = Vector256.FusedMultiplyAdd(u, v2, a02); a03 = Vector256.FusedMultiplyAdd(u, v3, a03);
                u = Vector256.Load(x1 + i);
                a10 = Vector256.FusedMultiplyAdd(u, v0, a10); a11 = Vector256.FusedMultiplyAdd(u, v1, a11);
                a12 = Vector256.FusedMultiplyAdd(u, v2, a12); a13 = Vector256.FusedMultiplyAdd(u, v3, a13);
                u = Vector256.Load(x2 + i);
                a20 = Vector256.FusedMultiplyAdd(u, v0, a20); a21 = Vector256.FusedMultiplyAdd(u, v1, a21);
                a22 = Vector256.FusedMultiplyAdd(u, v2, a22); a23 = Vector256.FusedMultiplyAdd(u, v3, a23);
                u = Vector256.Load(x3 + i);
                a30 = Vector256.FusedMultiplyAdd(u, v0, a30); a31 = Vector256.FusedMultiplyAdd(u, v1, a31);
                a32 = Vector256.FusedMultiplyAdd(u, v2, a32); a33 = Vector256.FusedMultiplyAdd(u, v3, a33);
            }
            float* sums = stackalloc float[16];
            sums[0] = Vector256.Sum(a00); sums[1] = Vector256.Sum(a01); sums[2] = Vector256.Sum(a02); sums[3] = Vector256.Sum(a03);
            sums[4] = Vector256.Sum(a10); sums[5] = Vector256.Sum(a11); sums[6] = Vector256.Sum(a12); sums[7] = Vector256.Sum(a13);
            sums[8] = Vector256.Sum(a20); sums[9] = Vector256.Sum(a21); sums[10] = Vector256.Sum(a22); sums[11] = Vector256.Sum(a23);
            sums[12] = Vector256.Sum(a30); sums[13] = Vector256.Sum(a31); sums[14] = Vector256.Sum(a32); sums[15] = Vector256.Sum(a33);
            for (; i < k; i++)
                for (int r = 0; r < 4; r++)
                {
                    float xv = x0[r * k + i];
                    sums[r * 4 + 0] += xv * w0[i];
                    sums[r * 4 + 1] += xv * w1[i];
                    sums[r * 4 + 2] += xv * w2[i];
                    sums[r * 4 + 3] += xv * w3[i];
                }
            for (int r = 0; r < 4; r++)
                for (int c = 0; c < 4; c++) y[(row + r) * n + col + c] = sums[r * 4 + c];
        }
    }
}
