using System.Globalization;
using V2Meow.Loaders.Safetensors;
using V2Meow.Loaders.Video;

namespace V2Meow.Runtime.Codecs;

/// <summary>
/// The file <c>v2meow codec encode</c> writes (SPEC §9.3): a safetensors file with one tensor <c>codes</c>, I32
/// [levels, frames], and <c>__metadata__</c> <c>format</c> = "v2meow-codes/1", <c>sample_rate</c>, <c>hop</c>,
/// <c>frames</c>, <c>samples</c> (the recording's length before padding to whole frames), <c>levels</c>,
/// <c>codebook_size</c> (decimal strings) and <c>bundle</c> (the config name of the bundle that made them).
/// </summary>
public static class CodesFile
{
    /// <summary>The <c>format</c> metadata of a codes file.</summary>
    public const string Format = "v2meow-codes/1";
    /// <summary>The name of the one tensor.</summary>
    public const string TensorName = "codes";

    /// <summary>
    /// Writes <paramref name="audio"/> to <paramref name="path"/> through a hidden temporary name in the same folder,
    /// renamed over the path once complete: a failure leaves nothing there.
    /// </summary>
    public static void Save(string path, EncodedAudio audio)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(audio);
        var codes = audio.Codes;
        var writer = new SafetensorsWriter()
            .AddMetadata("format", Format)
            .AddMetadata("sample_rate", Text(audio.SampleRate))
            .AddMetadata("hop", Text(audio.Hop))
            .AddMetadata("frames", Text(codes.Frames))
            .AddMetadata("samples", Text(audio.Samples))
            .AddMetadata("levels", Text(codes.Levels))
            .AddMetadata("codebook_size", Text(audio.CodebookSize))
            .AddMetadata("bundle", audio.Bundle)
            .Add(TensorName, DType.I32, [codes.Levels, codes.Frames], codes.Codes.AsSpan());
        string full = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(full) ?? ".", $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                writer.WriteTo(stream);
            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw new MediaException(path, $"cannot write the codes: {e.Message}", e);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Reads and checks a codes file: the format, the tensor's dtype and shape, every metadata field and its
    /// agreement with the tensor, every code in [0, codebook_size). Throws a <see cref="SafetensorsFormatException"/>
    /// naming the file and what is wrong.
    /// </summary>
    public static EncodedAudio Load(string path)
    {
        using var file = SafetensorsFile.Open(path);
        if (!file.Metadata.TryGetValue("format", out var format) || format != Format)
            throw new SafetensorsFormatException(path, null,
                $"__metadata__ format: expected '{Format}' (a file `v2meow codec encode` writes), found '{format ?? "(none)"}'");
        if (!file.Contains(TensorName))
            throw new SafetensorsFormatException(path, TensorName, "missing; a codes file holds codes I32 [levels, frames]");
        var view = file.Get(TensorName);
        if (view.DType != DType.I32 || view.Shape.Length != 2)
            throw new SafetensorsFormatException(path, TensorName, $"expected I32 [levels, frames], found {DTypes.Name(view.DType)} {view.Entry.ShapeText}");
        foreach (var other in file.Tensors)
            if (other.Name != TensorName)
                throw new SafetensorsFormatException(path, other.Name, $"unexpected; a codes file holds the one tensor '{TensorName}'");

        int levels = Field(file, "levels", 1), frames = Field(file, "frames", 0), hop = Field(file, "hop", 1);
        int sampleRate = Field(file, "sample_rate", 1), samples = Field(file, "samples", 0), codebookSize = Field(file, "codebook_size", 1);
        string bundle = file.Metadata.GetValueOrDefault("bundle") ?? "";
        if (view.Shape[0] != levels || view.Shape[1] != frames)
            throw new SafetensorsFormatException(path, TensorName, $"shape {view.Entry.ShapeText}, but __metadata__ says {levels} levels × {frames} frames");
        if ((long)frames * hop < samples || (frames > 0 && (long)(frames - 1) * hop >= samples))
            throw new SafetensorsFormatException(path, null,
                $"__metadata__ samples: {samples} samples are not {frames} frames of {hop} (expected {Math.Max(0, (long)(frames - 1) * hop + 1)} to {(long)frames * hop})");
        int[] codes = view.ToInt32();
        for (int q = 0; q < levels; q++)
            for (int t = 0; t < frames; t++)
            {
                int code = codes[q * frames + t];
                if ((uint)code >= (uint)codebookSize)
                    throw new SafetensorsFormatException(path, TensorName, $"level {q}, frame {t}: code {code} is outside [0, {codebookSize})");
            }
        return new EncodedAudio(new AcousticCodes(levels, frames, codes), samples, sampleRate, hop, codebookSize, bundle);
    }

    /// <summary>A metadata field as a decimal integer of at least <paramref name="minimum"/>.</summary>
    static int Field(SafetensorsFile file, string key, int minimum)
    {
        if (!file.Metadata.TryGetValue(key, out var text))
            throw new SafetensorsFormatException(file.Path, null, $"__metadata__ {key}: missing; a codes file records {key}");
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < minimum)
            throw new SafetensorsFormatException(file.Path, null, $"__metadata__ {key}: expected a whole number >= {minimum}, found '{Shown(text)}'");
        return value;
    }

    static string Shown(string text) => text.Length <= 40 ? text : text[..37] + "...";

    static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
