using V2Meow.Loaders.Safetensors;
using V2Meow.Numerics;

namespace V2Meow.Runtime.Backends;

/// <summary>The ops of the three token stages (SPEC §6–§8): norms, activations, attention, the KV cache, sampling.</summary>
public partial interface IComputeBackend
{
    /// <summary>An int tensor of <paramref name="shape"/> (token ids, block tables), contents undefined; the caller owns it.</summary>
    DeviceIntTensor AllocateInts(params int[] shape);
    /// <summary>
    /// An int tensor of <paramref name="shape"/> holding <paramref name="values"/> (exactly as many as the shape); the caller owns it.
    /// </summary>
    DeviceIntTensor UploadInts(ReadOnlySpan<int> values, params int[] shape);
    /// <summary>Overwrites the whole of <paramref name="destination"/> (block tables, row layouts).</summary>
    void UploadInts(ReadOnlySpan<int> values, DeviceIntTensor destination);
    /// <summary>Overwrites elements [offset, offset + values.Length) of <paramref name="destination"/> (tokens fed as they are, not sampled).</summary>
    void UploadInts(ReadOnlySpan<int> values, DeviceIntTensor destination, int offset);
    /// <summary>
    /// Copies the whole tensor to <paramref name="destination"/>, which must have its length; waits for the ops before it.
    /// </summary>
    void DownloadInts(DeviceIntTensor tensor, Span<int> destination);

    /// <summary>
    /// A weight matrix or table from a bundle. The ILGPU backend keeps f16/bf16 16-bit on the device
    /// (see <see cref="WeightTensor"/>); other dtypes, and every dtype on the CPU backend, become f32.
    /// </summary>
    WeightTensor UploadWeights(TensorView view);

    /// <summary>An f32 table [rows, columns] computed on the host, for the ops that take a <see cref="WeightTensor"/>.</summary>
    WeightTensor UploadWeights(ReadOnlySpan<float> values, int rows, int columns);

    /// <summary>output[M, N] = input[M, K] · weight[N, K]ᵀ with weights in their stored format.</summary>
    void MatMul(DeviceTensor input, WeightTensor weight, DeviceTensor output);

    /// <summary>x[r, c] += bias[c].</summary>
    void AddBias(DeviceTensor x, DeviceTensor bias);

    /// <summary>Per row: (x − mean) · rsqrt(var + eps) · weight + bias, biased variance (SPEC §6.2).</summary>
    void LayerNorm(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, float eps, DeviceTensor output);

    /// <summary>Per row: x · rsqrt(mean(x²) + eps) · weight.</summary>
    void RmsNorm(DeviceTensor input, DeviceTensor weight, float eps, DeviceTensor output);

    /// <summary>The exact-erf GELU; input and output may be the same tensor.</summary>
    void Gelu(DeviceTensor input, DeviceTensor output);
    /// <summary>max(x, 0); input and output may be the same tensor.</summary>
    void Relu(DeviceTensor input, DeviceTensor output);
    /// <summary>output = gelu(gate) · up; output may be gate or up.</summary>
    void Geglu(DeviceTensor gate, DeviceTensor up, DeviceTensor output);

    /// <summary>output[r] = table[row picked by <paramref name="lookup"/> for r]; output is [rows, table columns].</summary>
    void Embedding(DeviceIntTensor ids, WeightTensor table, DeviceTensor output, TokenLookup lookup);

    /// <summary>
    /// Fused attention of every query row over all key rows (encoder self-attention with a bidirectional
    /// bias, cross-attention with none). q and output [n, inner], k and v [m, inner].
    /// </summary>
    void Attention(DeviceTensor q, DeviceTensor k, DeviceTensor v, DeviceTensor output, AttentionHeads heads, PositionBias? bias);

    /// <summary>Stores rows of k and v [rows, inner] in the cache at the positions <paramref name="rows"/> gives.</summary>
    void WriteKeyValues(DeviceTensor k, DeviceTensor v, DeviceTensor kCache, DeviceTensor vCache, PagedRows rows);

    /// <summary>Fused causal attention through the block tables: each query row sees its sequence's keys 0..its position.</summary>
    void PagedAttention(DeviceTensor q, DeviceTensor kCache, DeviceTensor vCache, DeviceTensor output, PagedRows rows, AttentionHeads heads, PositionBias bias);

    /// <summary>Copies <paramref name="rows"/> whole rows between tensors with the same row length.</summary>
    void CopyRows(DeviceTensor source, int sourceRow, DeviceTensor destination, int destinationRow, int rows);

    /// <summary>
    /// Draws one id per row of logits [rows, vocab] (SPEC §8.2) into <paramref name="output"/>; the logits
    /// never leave the device. Temperature 0 is argmax.
    /// </summary>
    void Sample(DeviceTensor logits, double temperature, SamplingRequest request, DeviceIntTensor output);
}
