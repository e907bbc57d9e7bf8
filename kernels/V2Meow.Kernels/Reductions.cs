using ILGPU;

namespace V2Meow.Kernels;

/// <summary>
/// Sums across a thread group. Two variants: a shared-memory tree that every backend runs (OpenCL has no
/// portable warp shuffles), and warp shuffles for CUDA, which skip the shared-memory round trips.
/// </summary>
public static class Reductions
{
    /// <summary>Tree sum in shared memory; the group size must be a power of two. Every thread gets the total.</summary>
    public static float GroupSumShared(float value, ArrayView<float> scratch)
    {
        int lane = Group.IdxX;
        scratch[lane] = value;
        Group.Barrier();
        for (int offset = Group.DimX / 2; offset > 0; offset /= 2)
        {
            if (lane < offset) scratch[lane] += scratch[lane + offset];
            Group.Barrier();
        }
        float total = scratch[0];
        Group.Barrier();
        return total;
    }

    /// <summary>Warp-level sum by shuffles; lane 0 of each warp holds the warp's total.</summary>
    public static float WarpSum(float value)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
            value += Warp.ShuffleDown(value, offset);
        return value;
    }

    /// <summary>
    /// Group sum built from warp shuffles: each warp reduces, warp leaders meet in shared memory, the first
    /// warp reduces those. Every thread gets the total.
    /// </summary>
    public static float GroupSumShuffle(float value, ArrayView<float> scratch)
    {
        float warpTotal = WarpSum(value);
        int warps = (Group.DimX + Warp.WarpSize - 1) / Warp.WarpSize;
        if (Warp.IsFirstLane) scratch[Warp.WarpIdx] = warpTotal;
        Group.Barrier();
        float total = 0;
        if (Warp.WarpIdx == 0)
        {
            float partial = Warp.LaneIdx < warps ? scratch[Warp.LaneIdx] : 0f;
            total = WarpSum(partial);
            if (Warp.IsFirstLane) scratch[0] = total;
        }
        Group.Barrier();
        total = scratch[0];
        Group.Barrier();
        return total;
    }
}

/// <summary>
/// A group-wide reduction strategy, so one kernel body serves both variants: the launcher picks
/// <see cref="SharedMemoryReduction"/> (every backend; OpenCL has no portable warp shuffles) or
/// <see cref="WarpShuffleReduction"/> (CUDA). Every thread of the group gets the result. The scratch view
/// needs one element per thread; the shuffle variant uses one per warp.
/// </summary>
public interface IGroupReduction
{
    /// <summary>The sum of <paramref name="value"/> over the group's threads.</summary>
    float Sum(float value, ArrayView<float> scratch);
    /// <summary>The max of <paramref name="value"/> over the group's threads.</summary>
    float Max(float value, ArrayView<float> scratch);
}

/// <summary>Tree reductions in shared memory; the group size must be a power of two.</summary>
public readonly struct SharedMemoryReduction : IGroupReduction
{
    /// <summary>The sum over the group, by a tree in shared memory.</summary>
    public float Sum(float value, ArrayView<float> scratch) => Reductions.GroupSumShared(value, scratch);

    /// <summary>The max over the group, by a tree in shared memory.</summary>
    public float Max(float value, ArrayView<float> scratch)
    {
        int lane = Group.IdxX;
        scratch[lane] = value;
        Group.Barrier();
        for (int offset = Group.DimX / 2; offset > 0; offset /= 2)
        {
            if (lane < offset) scratch[lane] = IntrinsicMath.Max(scratch[lane], scratch[lane + offset]);
            Group.Barrier();
        }
        float total = scratch[0];
        Group.Barrier();
        return total;
    }

}

/// <summary>Warp shuffles inside each warp, then the warp leaders meet in shared memory (CUDA).</summary>
public readonly struct WarpShuffleReduction : IGroupReduction
{
    /// <summary>The sum over the group, by warp shuffles.</summary>
    public float Sum(float value, ArrayView<float> scratch) => Reductions.GroupSumShuffle(value, scratch);

    /// <summary>The max over the group, by warp shuffles.</summary>
    public float Max(float value, ArrayView<float> scratch)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
            value = IntrinsicMath.Max(value, Warp.ShuffleDown(value, offset));
        int warps = (Group.DimX + Warp.WarpSize - 1) / Warp.WarpSize;
        if (Warp.IsFirstLane) scratch[Warp.WarpIdx] = value;
        Group.Barrier();
        if (Warp.WarpIdx == 0)
        {
            float partial = Warp.LaneIdx < warps ? scratch[Warp.LaneIdx] : float.MinValue;
            for (int offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
                partial = IntrinsicMath.Max(partial, Warp.ShuffleDown(partial, offset));
            if (Warp.IsFirstLane) scratch[0] = partial;
        }
        Group.Barrier();
        float total = scratch[0];
        Group.Barrier();
        return total;
    }

}
