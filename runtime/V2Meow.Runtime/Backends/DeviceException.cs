namespace V2Meow.Runtime.Backends;

/// <summary>A device that cannot be found, opened or that ran out of memory.</summary>
public sealed class DeviceException(string message, Exception? inner = null) : Exception(message, inner);
