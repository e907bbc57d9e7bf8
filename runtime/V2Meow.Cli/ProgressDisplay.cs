using V2Meow.Runtime.Generation;

namespace V2Meow.Cli;

/// <summary>A one-line progress bar on a terminal; plain lines, one per window, when stderr is redirected.</summary>
internal sealed class ProgressDisplay(TextWriter writer) : IProgress<GenerationProgress>
{
    readonly bool _terminal = ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected;
    readonly object _lock = new();
    bool _lineOpen;

    public void Report(GenerationProgress value)
    {
        lock (_lock)
        {
            string text = $"{value.Stage,-8} window {value.Window}/{value.Windows}  {value.TokensDone}/{value.TokensTotal}";
            if (_terminal)
            {
                const int width = 30;
                int filled = (int)Math.Round(value.Fraction * width);
                writer.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {text}   ");
                _lineOpen = true;
            }
            else writer.WriteLine(text);
        }
    }

    public void Finish()
    {
        lock (_lock)
        {
            if (_lineOpen) writer.WriteLine();
            _lineOpen = false;
        }
    }
}
