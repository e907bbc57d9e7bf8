namespace V2Meow.Benchmarking;

/// <summary>
/// A benchmark could not run: the PyTorch side is missing, a bench bundle could not be exported, or the
/// reference timing script failed. The message says what and how to fix it.
/// </summary>
public sealed class BenchmarkException(string message, Exception? inner = null) : Exception(message, inner);
