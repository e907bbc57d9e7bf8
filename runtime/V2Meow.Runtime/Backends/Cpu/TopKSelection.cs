using System.Buffers;

namespace V2Meow.Runtime.Backends.Cpu;

/// <summary>
/// The k largest logits of a row, as SPEC §8.2 orders them (descending, ties to the lower index, NaN below
/// every number as <see cref="float.CompareTo(float)"/> has it), found in linear time: a quickselect for the
/// k-th largest value, then one pass in index order. A full sort of a 2048-entry row per codebook and
/// candidate was a visible share of a VMAs decode step.
/// </summary>
internal static class TopKSelection
{
    /// <summary>Sets <paramref name="keep"/>[i] for the <paramref name="k"/> largest of <paramref name="values"/> (1 ≤ k ≤ length).</summary>
    public static void MarkLargest(ReadOnlySpan<float> values, int k, Span<bool> keep)
    {
        int n = values.Length;
        double[] rented = ArrayPool<double>.Shared.Rent(n);
        try
        {
            var keys = rented.AsSpan(0, n);
            for (int i = 0; i < n; i++) keys[i] = Key(values[i]);
            double kth = Select(keys, k - 1);
            int above = 0;
            for (int i = 0; i < n; i++)
                if (Key(values[i]) > kth) above++;
            // Of the values equal to the k-th, the lowest indices fill the remaining places.
            int ties = k - above;
            for (int i = 0; i < n; i++)
            {
                double key = Key(values[i]);
                keep[i] = key > kth || (key == kth && ties-- > 0);
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(rented);
        }
    }

    /// <summary>float.CompareTo's order as plain double comparisons: NaN below −∞, −∞ below every finite value.</summary>
    static double Key(float value) =>
        float.IsNaN(value) ? double.NegativeInfinity : float.IsNegativeInfinity(value) ? double.MinValue : value;

    /// <summary>The value at <paramref name="position"/> of <paramref name="keys"/> sorted descending (keys are reordered).</summary>
    static double Select(Span<double> keys, int position)
    {
        int lo = 0, hi = keys.Length - 1;
        while (lo < hi)
        {
            double pivot = MedianOfThree(keys[lo], keys[lo + (hi - lo) / 2], keys[hi]);
            int i = lo, j = hi;
            while (i <= j)
            {
                while (keys[i] > pivot) i++;
                while (keys[j] < pivot) j--;
                if (i <= j)
                {
                    (keys[i], keys[j]) = (keys[j], keys[i]);
                    i++;
                    j--;
                }
            }
            // [lo, j] ≥ pivot ≥ [i, hi]; anything between equals the pivot.
            if (position <= j) hi = j;
            else if (position >= i) lo = i;
            else return keys[position];
        }
        return keys[position];
    }

    static double MedianOfThree(double a, double b, double c) =>
        Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));
}
