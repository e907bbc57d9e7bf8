namespace V2Meow.Runtime.Backends;

/// <summary>An int32 tensor in a backend's memory: token ids, block tables, sampled tokens.</summary>
public abstract class DeviceIntTensor(IComputeBackend backend, int[] shape) : DeviceBuffer(backend, shape);
