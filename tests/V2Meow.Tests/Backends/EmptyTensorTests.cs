using V2Meow.Runtime.Backends;

namespace V2Meow.Tests.Backends;

/// <summary>
/// Every op on tensors with no elements (no rows, no frames) is a no-op on every backend: it neither throws
/// nor launches, and leaves the other tensors untouched. On ILGPU this is the one empty-output guard.
/// </summary>
public class EmptyTensorTests(BackendFixture backends) : IClassFixture<BackendFixture>
{
    public static TheoryData<string> Backends => BackendFixture.Names;

    [Theory]
    [MemberData(nameof(Backends))]
    public void OpsOnEmptyTensorsDoNothing(string backendName)
    {
        var b = backends.Get(backendName);
        using var none = b.Allocate(0, 4);
        using var noneOut = b.Allocate(0, 4);
        using var vector = b.Upload([1f, 2f, 3f, 4f], 4);
        using var matrix = b.Upload(new float[3 * 4], 3, 4);
        using var noRowsOfThree = b.Allocate(0, 3);
        using var weights = b.UploadWeights(new float[3 * 4], 3, 4);

        b.Add(none, none, noneOut);
        b.MatMul(none, matrix, noRowsOfThree);
        b.MatMul(none, weights, noRowsOfThree);
        b.AddBias(none, vector);
        b.LayerNorm(none, vector, vector, 1e-6f, noneOut);
        b.RmsNorm(none, vector, 1e-6f, noneOut);
        b.Gelu(none, noneOut);
        b.Relu(none, noneOut);
        b.Geglu(none, none, noneOut);

        // Codec ops on zero frames: [channels, 0].
        using var frames0 = b.Allocate(2, 0);
        using var frames0Out = b.Allocate(2, 0);
        using var convWeight = b.Upload(new float[2 * 2 * 3], 2, 2, 3);
        using var convBias = b.Upload(new float[2], 2);
        using var upWeight = b.Upload(new float[2 * 2 * 4], 2, 2, 4);
        using var alpha = b.Upload([1f, 1f], 2);
        b.Conv1d(frames0, convWeight, convBias, frames0Out, 1, ConvPadding.Causal);
        b.ConvTranspose1d(frames0, upWeight, convBias, frames0Out, 2, ConvPadding.Causal);
        b.Elu(frames0, frames0Out);
        b.Snake(frames0, alpha, frames0Out);
        b.Tanh(frames0, frames0Out);
        using var books = b.Upload(new float[1 * 4 * 2], 1, 4, 2);
        using var noCodes = b.UploadInts([], 1, 0);
        b.RvqLookup(books, noCodes, 1, frames0Out);
        b.Synchronize();

        // The inputs the ops read are what they were.
        var values = new float[4];
        b.Download(vector, values);
        Assert.Equal([1f, 2f, 3f, 4f], values);
    }
}
