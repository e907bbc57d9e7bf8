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
        using var twoDims0 = b.Allocate(2, 0);
        using var noCodesOut = b.AllocateInts(1, 0);
        b.RvqEncode(books, twoDims0, 1, noCodesOut);
        using var downWeight = b.Upload(new float[2 * 2 * 4], 2, 2, 4);
        b.StridedConv1d(frames0, downWeight, convBias, frames0Out, 2, ConvPadding.Causal);

        // Video ops: no output channels, no indices, no groups, no windows, no logits, no frames or no channels.
        using var video = b.Upload(new float[2 * 3 * 4 * 4], 2, 3, 4, 4);
        using var noFilters = b.Allocate(0, 2, 1, 3, 3);
        using var noBias = b.Allocate(0);
        using var noChannels = b.Allocate(3 * 2 * 2, 0);
        b.Conv3dPatches(video, noFilters, noBias, (1, 2, 2), (0, 1, 1), noChannels);
        using var noIds = b.UploadInts([], 0);
        b.GatherRows(matrix, noIds, none);
        b.PoolRows(none, 3, RowPool.Max, noneOut);
        b.PoolRows(none, 3, RowPool.Mean, noneOut);
        b.WindowedAttention(none, none, none, noneOut, new AttentionHeads(2, 2, 0.5f), 4, 2);
        b.Guidance(none, none, 3f, noneOut);
        using var gates0 = b.Allocate(8, 0);
        using var whh = b.Upload(new float[8 * 2], 8, 2);
        using var bhh = b.Upload(new float[8], 8);
        b.Lstm(gates0, whh, bhh, frames0Out);
        using var noState = b.Allocate(0, 0);
        using var noGates = b.Allocate(0, 5);
        using var noHidden = b.Allocate(0, 5);
        b.Lstm(noGates, noState, noBias, noHidden);
        b.Synchronize();

        // The inputs the ops read are what they were.
        var values = new float[4];
        b.Download(vector, values);
        Assert.Equal([1f, 2f, 3f, 4f], values);
    }
}
