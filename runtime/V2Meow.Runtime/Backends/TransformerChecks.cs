using V2Meow.Numerics;

namespace V2Meow.Runtime.Backends;

/// <summary>Argument checks of the transformer ops, shared by both backends so a wrong call fails the same way everywhere.</summary>
internal static class TransformerChecks
{
    public static void RowVector(DeviceTensor x, DeviceTensor vector, string what)
    {
        if (vector.Length != x.Columns)
            throw new ArgumentException($"{what}: vector {vector.ShapeText} must hold one value per column of {x.ShapeText}");
    }

    public static void Norm(DeviceTensor input, DeviceTensor weight, DeviceTensor? bias, DeviceTensor output, string what)
    {
        TensorChecks.SameLength(input, output, what);
        RowVector(input, weight, what);
        if (bias is not null) RowVector(input, bias, what);
    }

    public static int Embedding(DeviceIntTensor ids, WeightTensor table, DeviceTensor output, TokenLookup lookup)
    {
        if (output.Columns != table.Columns)
            throw new ArgumentException($"embedding: output {output.ShapeText} must have the table's {table.Columns} columns");
        int rows = output.Rows;
        if (lookup.IdsOffset < 0 || lookup.IdsOffset + rows > ids.Length)
            throw new ArgumentException($"embedding: ids {ids.ShapeText} from offset {lookup.IdsOffset} hold fewer than {rows} rows");
        if (lookup.Levels < 1) throw new ArgumentException($"embedding: levels must be ≥ 1, found {lookup.Levels}");
        return rows;
    }

    public static void Attention(DeviceTensor q, DeviceTensor k, DeviceTensor v, DeviceTensor output, AttentionHeads heads, PositionBias? bias)
    {
        foreach (var (t, role) in new[] { (q, "q"), (k, "k"), (v, "v"), (output, "output") })
            if (t.Columns != heads.Inner)
                throw new ArgumentException($"attention: {role} {t.ShapeText} must have {heads.Heads} heads × {heads.HeadDim} = {heads.Inner} columns");
        TensorChecks.SameLength(k, v, "attention keys and values");
        TensorChecks.SameLength(q, output, "attention queries and output");
        if (k.Rows == 0) throw new ArgumentException("attention: no keys");
        if (bias is not null) Bias(bias, heads);
    }

    public static void Paged(DeviceTensor kCache, DeviceTensor vCache, PagedRows rows, int inner, int rowCount)
    {
        if (kCache.Columns != inner || vCache.Columns != inner)
            throw new ArgumentException($"paged attention: caches {kCache.ShapeText} and {vCache.ShapeText} must have {inner} columns");
        TensorChecks.SameLength(kCache, vCache, "paged attention caches");
        if (rows.BlockSize < 1 || kCache.Rows % rows.BlockSize != 0)
            throw new ArgumentException($"paged attention: cache {kCache.ShapeText} is not whole blocks of {rows.BlockSize}");
        if (rows.RowPosition.Length != rows.Rows)
            throw new ArgumentException($"paged attention: row slots {rows.RowSlot.ShapeText} and positions {rows.RowPosition.ShapeText} differ");
        if (rows.Rows != rowCount)
            throw new ArgumentException($"paged attention: {rowCount} query rows but the layout describes {rows.Rows}");
    }

    public static void Bias(PositionBias bias, AttentionHeads heads)
    {
        if (bias.Table.Length != heads.Heads * bias.Width)
            throw new ArgumentException($"attention: bias table {bias.Table.ShapeText} must be [{heads.Heads}, {bias.Width}]");
    }

    public static void CopyRows(DeviceTensor source, int sourceRow, DeviceTensor destination, int destinationRow, int rows)
    {
        if (source.Columns != destination.Columns)
            throw new ArgumentException($"copy rows: {source.ShapeText} and {destination.ShapeText} have different row lengths");
        if (rows < 0 || sourceRow < 0 || destinationRow < 0 || sourceRow + rows > source.Rows || destinationRow + rows > destination.Rows)
            throw new ArgumentException($"copy rows: {rows} rows from row {sourceRow} of {source.ShapeText} to row {destinationRow} of {destination.ShapeText} run out of range");
    }

    public static (int Rows, int Vocab) Sample(DeviceTensor logits, double temperature, SamplingRequest request, DeviceIntTensor output)
    {
        int vocab = logits.Columns, rows = logits.Rows;
        if (request.Lo < 0 || request.Hi > vocab || request.Lo >= request.Hi)
            throw new ArgumentException($"sample: id range [{request.Lo}, {request.Hi}) is empty or outside the vocabulary of {vocab}");
        if (!(temperature >= 0) || double.IsInfinity(temperature))
            throw new ArgumentException($"sample: temperature must be finite and ≥ 0, found {temperature}");
        if (request.TopK < 0) throw new ArgumentException($"sample: top-k must be ≥ 0, found {request.TopK}");
        if (request.OutputOffset < 0 || request.OutputOffset + rows > output.Length)
            throw new ArgumentException($"sample: output {output.ShapeText} from offset {request.OutputOffset} holds fewer than {rows} ids");
        return (rows, vocab);
    }
}
