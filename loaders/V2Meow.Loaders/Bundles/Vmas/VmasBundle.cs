using V2Meow.Loaders.Files;
using V2Meow.Loaders.Safetensors;

namespace V2Meow.Loaders.Bundles.Vmas;

/// <summary>
/// An opened VMAs bundle folder (VMAS.md §2): config.json and its three memory-mapped component files, all
/// validated on open, as <see cref="Bundle"/> does for V2Meow.
/// </summary>
public sealed class VmasBundle : IDisposable
{
    readonly Dictionary<string, SafetensorsFile> _files;

    /// <summary>The bundle folder as given to <see cref="Open"/>.</summary>
    public string Folder { get; }
    /// <summary>The validated config.json, defaults filled in.</summary>
    public VmasConfig Config { get; }
    /// <summary>The dtype of every weight.</summary>
    public DType WeightDType => ComponentFile.DTypeOf(Config.DType);

    VmasBundle(string folder, VmasConfig config, Dictionary<string, SafetensorsFile> files)
    {
        Folder = folder;
        Config = config;
        _files = files;
    }

    /// <summary>Opens and validates a bundle; throws <see cref="BundleException"/> or <see cref="SafetensorsFormatException"/> naming the file and the tensor.</summary>
    public static VmasBundle Open(string folder)
    {
        if (!Directory.Exists(folder))
            throw new BundleException($"{folder}: bundle folder does not exist");
        string configPath = Path.Combine(folder, "config.json");
        if (InputFile.KindOf(configPath) == FileKind.Missing)
            throw new BundleException($"{folder}: not a bundle; config.json is missing");
        string configJson = BundleConfigReader.ReadText(configPath);
        var config = VmasConfigReader.Parse(configJson, configPath);

        var files = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            foreach (string component in VmasConfig.Components)
            {
                string path = Path.Combine(folder, component + ".safetensors");
                if (InputFile.KindOf(path) == FileKind.Missing)
                    throw new BundleException($"{folder}: component '{component}' is missing; expected {path}");
                var file = SafetensorsFile.Open(path);
                files[component] = file;
                ComponentFile.Validate(file, VmasConfig.FormatName, component, VmasLayout.Expected(config, component),
                    ComponentFile.DTypeOf(config.DType));
                VmasConfigReader.CheckComponentSection(configJson, configPath, config, component,
                    file.Metadata.GetValueOrDefault("config"), file.Path);
            }
            // The codec's optional encoder (SPEC §9.3, VMAS.md §9), validated when its file is there.
            string encoderPath = Path.Combine(folder, CodecEncoderLayout.Component + ".safetensors");
            if (InputFile.KindOf(encoderPath) != FileKind.Missing)
            {
                var file = SafetensorsFile.Open(encoderPath);
                files[CodecEncoderLayout.Component] = file;
                ComponentFile.Validate(file, VmasConfig.FormatName, CodecEncoderLayout.Component,
                    CodecEncoderLayout.Expected(config.Codec), ComponentFile.DTypeOf(config.DType));
                VmasConfigReader.CheckComponentSection(configJson, configPath, config, CodecEncoderLayout.Component,
                    file.Metadata.GetValueOrDefault("config"), file.Path);
            }
            // The contrastive projections (VMAS.md §14): config.json's "contrastive" section names them, and then their file must be there.
            if (config.Contrastive is not null)
            {
                const string component = VmasContrastiveConfig.Component;
                string path = Path.Combine(folder, component + ".safetensors");
                if (InputFile.KindOf(path) == FileKind.Missing)
                    throw new BundleException($"{folder}: component '{component}' is missing; config.json has a \"{component}\" section, so expected {path} (VMAS.md §14)");
                var file = SafetensorsFile.Open(path);
                files[component] = file;
                ComponentFile.Validate(file, VmasConfig.FormatName, component, VmasLayout.Expected(config, component), ComponentFile.DTypeOf(config.DType));
                VmasConfigReader.CheckComponentSection(configJson, configPath, config, component, file.Metadata.GetValueOrDefault("config"), file.Path);
            }
        }
        catch
        {
            foreach (var f in files.Values) f.Dispose();
            throw;
        }
        return new VmasBundle(folder, config, files);
    }

    /// <summary>The component's file: "video_encoder", "music_decoder", "codec", or the optional "codec_encoder" and "contrastive".</summary>
    public SafetensorsFile Component(string name) =>
        _files.TryGetValue(name, out var file) ? file : throw new BundleException($"{Folder}: no component '{name}'");

    /// <summary>Whether the bundle holds <paramref name="name"/>: always its three components; the optional ones when their files are there.</summary>
    public bool HasComponent(string name) => _files.ContainsKey(name);

    /// <summary>Closes the memory-mapped files; tensors read from them must not be used afterwards.</summary>
    public void Dispose()
    {
        foreach (var f in _files.Values) f.Dispose();
        _files.Clear();
    }
}
