using V2Meow.Loaders.Files;
using V2Meow.Loaders.Safetensors;

namespace V2Meow.Loaders.Bundles;

/// <summary>
/// An opened bundle folder (SPEC §2): config.json and one memory-mapped safetensors file per component,
/// all validated on open — every expected tensor present with its shape and the bundle's dtype, nothing
/// unexpected — so that no stage ever meets a malformed weight.
/// </summary>
public sealed class Bundle : IDisposable
{
    readonly Dictionary<string, SafetensorsFile> _files;

    /// <summary>The bundle folder as given to <see cref="Open"/>.</summary>
    public string Folder { get; }
    /// <summary>The validated config.json, defaults filled in.</summary>
    public BundleConfig Config { get; }

    Bundle(string folder, BundleConfig config, Dictionary<string, SafetensorsFile> files)
    {
        Folder = folder;
        Config = config;
        _files = files;
    }

    /// <summary>
    /// Opens and validates a bundle folder: config.json, then every component file against SPEC §5. Throws
    /// <see cref="BundleException"/> or <see cref="SafetensorsFormatException"/> naming the file and the tensor.
    /// </summary>
    public static Bundle Open(string folder)
    {
        if (!Directory.Exists(folder))
            throw new BundleException($"{folder}: bundle folder does not exist");
        string configPath = Path.Combine(folder, "config.json");
        if (InputFile.KindOf(configPath) == FileKind.Missing)
            throw new BundleException($"{folder}: not a bundle; config.json is missing");
        string configJson = BundleConfigReader.ReadText(configPath);
        var config = BundleConfigReader.Parse(configJson, configPath);

        var files = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            foreach (string component in BundleConfig.Components)
            {
                string path = Path.Combine(folder, component + ".safetensors");
                if (InputFile.KindOf(path) == FileKind.Missing)
                    throw new BundleException($"{folder}: component '{component}' is missing; expected {path}");
                var file = SafetensorsFile.Open(path);
                files[component] = file;
                Validate(file, config, component);
                BundleConfigReader.CheckComponentSection(configJson, configPath, config, component,
                    file.Metadata.GetValueOrDefault("config"), file.Path);
            }
            // The codec's encoder is optional (SPEC §9.3): validated when its file is there. Its metadata carries the
            // codec section, from which its layout follows.
            string encoderPath = Path.Combine(folder, CodecEncoderLayout.Component + ".safetensors");
            if (InputFile.KindOf(encoderPath) != FileKind.Missing)
            {
                var file = SafetensorsFile.Open(encoderPath);
                files[CodecEncoderLayout.Component] = file;
                ComponentFile.Validate(file, BundleConfig.FormatName, CodecEncoderLayout.Component,
                    CodecEncoderLayout.Expected(config.Codec), DTypeOf(config));
                BundleConfigReader.CheckComponentSection(configJson, configPath, config, "codec",
                    file.Metadata.GetValueOrDefault("config"), file.Path);
            }
        }
        catch
        {
            foreach (var f in files.Values) f.Dispose();
            throw;
        }
        return new Bundle(folder, config, files);
    }

    /// <summary>The component's file: "stage1", "stage2", "stage3", "codec", or the optional "codec_encoder".</summary>
    public SafetensorsFile Component(string name) =>
        _files.TryGetValue(name, out var file) ? file : throw new BundleException($"{Folder}: no component '{name}'");

    /// <summary>Whether the bundle holds <paramref name="name"/>: always its four components; the optional ones when their files are there.</summary>
    public bool HasComponent(string name) => _files.ContainsKey(name);

    /// <summary>The bundle's dtype as it appears in the files.</summary>
    public DType WeightDType => DTypeOf(Config);

    static DType DTypeOf(BundleConfig config) => ComponentFile.DTypeOf(config.DType);

    static void Validate(SafetensorsFile file, BundleConfig config, string component) =>
        ComponentFile.Validate(file, BundleConfig.FormatName, component, BundleLayout.Expected(config, component), DTypeOf(config));

    /// <summary>Closes the memory-mapped component files; tensors read from them must not be used afterwards.</summary>
    public void Dispose()
    {
        foreach (var f in _files.Values) f.Dispose();
        _files.Clear();
    }
}
