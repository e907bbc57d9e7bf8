namespace V2Meow.Runtime.Transformer;

/// <summary>The ids a generated token may take, [Lo, Hi) (SPEC §7): the restriction to one RVQ level's range.</summary>
public readonly record struct TokenRange(int Lo, int Hi);
