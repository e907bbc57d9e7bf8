using V2Meow.Runtime.Backends;

namespace V2Meow.Runtime.Transformer;

/// <summary>
/// Receives intermediate tensors by their golden names (SPEC §10, without the stage prefix):
/// "encoder.embed", "encoder.layers.{i}", "encoder.out", the same for "decoder.", and "logits". The
/// tensor is only valid during the call.
/// </summary>
public delegate void ActivationTrace(string name, DeviceTensor tensor);
