using V2Meow.Loaders.Safetensors;
using V2Meow.Runtime.Inspection;

namespace V2Meow.Cli;

/// <summary><c>v2meow inspect PATH</c>: a table of tensors and the metadata of each file.</summary>
public static class InspectCommand
{
    public static int Run(string[] args, TextWriter output)
    {
        if (args.Length != 1) throw new UsageException("usage: v2meow inspect PATH (a .safetensors file or a bundle folder)");
        var files = WeightsInspector.Inspect(args[0]);
        foreach (var file in files)
        {
            output.WriteLine($"{file.Path}  ({file.Bytes} bytes, {file.Tensors.Count} tensors)");
            foreach (var (key, value) in file.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
                output.WriteLine($"  metadata {key} = {Shorten(value)}");
            int width = Math.Max(4, file.Tensors.Select(t => t.Name.Length).DefaultIfEmpty(0).Max());
            output.WriteLine($"  {"name".PadRight(width)}  {"dtype",-5}  {"shape",-20}  {"bytes",12}");
            foreach (var t in file.Tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
                output.WriteLine($"  {t.Name.PadRight(width)}  {DTypes.Name(t.DType),-5}  {t.ShapeText,-20}  {t.ByteLength,12}");
            output.WriteLine($"  total {file.Tensors.Sum(t => t.ByteLength)} bytes of tensor data");
        }
        output.WriteLine("ok: every file validated");
        return 0;
    }

    static string Shorten(string value) => value.Length <= 160 ? value : value[..157] + "...";
}
