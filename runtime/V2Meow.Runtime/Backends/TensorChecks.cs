namespace V2Meow.Runtime.Backends;

/// <summary>Shape checks shared by every backend, so a wrong call fails the same way everywhere.</summary>
internal static class TensorChecks
{
    /// <summary>
    /// The backend's own buffer type behind <paramref name="tensor"/>: the one ownership check of every op on
    /// every backend. A disposed buffer, or one made by another backend, fails here, naming its role.
    /// </summary>
    public static T Owned<T>(IComputeBackend backend, DeviceBuffer tensor, string role) where T : DeviceBuffer
    {
        ObjectDisposedException.ThrowIf(tensor.IsDisposed, tensor);
        if (!ReferenceEquals(tensor.Backend, backend))
            throw new ArgumentException($"{role} tensor belongs to another backend ({DeviceKinds.Name(tensor.Backend.Kind)})");
        return (T)tensor;
    }

    public static void SameLength(DeviceTensor a, DeviceTensor b, string what)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"{what}: lengths differ, {a.ShapeText} vs {b.ShapeText}");
    }

    /// <summary>
    /// Checks the Linear contract, y [M, N] = x [M, K] · Wᵀ with W [N, K], and returns (M, K, N). One check for
    /// activations and stored weights alike, so both MatMul ops fail the same way on every backend.
    /// </summary>
    public static (int M, int K, int N) MatMul(DeviceTensor input, DeviceBuffer weight, DeviceTensor output)
    {
        if (weight.Shape.Length != 2)
            throw new ArgumentException($"matmul: weight must be [N, K], found {weight.ShapeText}");
        int n = weight.Shape[0], k = weight.Shape[1];
        if (input.Columns != k)
            throw new ArgumentException($"matmul: input {input.ShapeText} has {input.Columns} columns, weight {weight.ShapeText} expects {k}");
        int m = input.Rows;
        if (output.Length != m * n)
            throw new ArgumentException($"matmul: output {output.ShapeText} must hold [{m}, {n}]");
        return (m, k, n);
    }
}
