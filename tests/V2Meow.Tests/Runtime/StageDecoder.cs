using V2Meow.Loaders.Bundles;
using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Families.V2Meow;
using V2Meow.Runtime.Transformer;

namespace V2Meow.Tests.Runtime;

/// <summary>
/// A stage's decoder loaded on its own from the bundle, with the scratch it runs in: what the cache tests
/// drive step by step. Loaded exactly as <see cref="StageModel"/> loads it (the same reader, config and
/// time-embedding length), so its logits are the stage's.
/// </summary>
internal sealed class StageDecoder : IDisposable
{
    readonly OwnedResources _weights = new();

    public Decoder Decoder { get; }
    public ScratchTensors Scratch { get; }

    public StageDecoder(Bundle bundle, StageId stage, IComputeBackend backend)
    {
        var config = bundle.Config.Stage(stage);
        var reader = new WeightReader(backend, bundle.Component(stage.Name()), _weights);
        int timePositions = config.TimeEmbedding is null ? 0 : WindowGeometry.DecoderLength(bundle.Config, stage);
        Decoder = Decoder.Load(reader, config, bundle.Config.HasEncoder(stage), bundle.Config.Rates.SemanticHz, timePositions);
        Scratch = new ScratchTensors(backend);
    }

    public void Dispose()
    {
        Scratch.Dispose();
        _weights.Dispose();
    }
}
