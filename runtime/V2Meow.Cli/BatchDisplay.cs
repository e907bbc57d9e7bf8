using System.Globalization;
using V2Meow.Runtime.Batch;

namespace V2Meow.Cli;

/// <summary>
/// A batch's progress on stderr: one line per finished item (with the time left), and on a terminal one
/// overall bar below them, redrawn as the current item advances. Redirected (a log file, a Kubernetes pod),
/// only the per-item lines.
/// </summary>
internal sealed class BatchDisplay(TextWriter writer, bool scores) : IProgress<BatchProgress>
{
    readonly bool _terminal = ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected;
    readonly Lock _lock = new();
    bool _barShown, _skipsSaid;
    string _bar = "";

    /// <summary>Items with a final state so far.</summary>
    public int Completed { get; private set; }

    public void Report(BatchProgress value)
    {
        lock (_lock)
        {
            Completed = value.Completed;
            if (value.Kind != BatchEventKind.Skipped && !_skipsSaid)
            {
                _skipsSaid = true;
                if (value.Skipped > 0)
                    Line($"{value.Skipped} of {value.Total} items already complete; running the other {value.Total - value.Skipped}");
            }
            switch (value.Kind)
            {
                case BatchEventKind.Finished:
                    Line(ItemLine(value));
                    if (value.Exception is { } bug) Line(bug.ToString());
                    break;
                case BatchEventKind.Generating when value.Generation is { } g:
                    _bar = Bar(value, $"{value.Item.Label}: {g.Stage} {g.Window}/{g.Windows}");
                    break;
                case BatchEventKind.Started:
                    _bar = Bar(value, $"{value.Item.Label}: starting");
                    break;
                default:
                    break;
            }
            if (_terminal && value.Kind != BatchEventKind.Skipped)
            {
                writer.Write("\r" + _bar.PadRight(Math.Max(_bar.Length, 80)));
                _barShown = true;
            }
        }
    }

    /// <summary>Ends the bar's line.</summary>
    public void Finish()
    {
        lock (_lock)
        {
            if (_barShown) writer.WriteLine();
            _barShown = false;
            if (!_skipsSaid && Completed > 0) writer.WriteLine($"all {Completed} items already complete");
            _skipsSaid = true;
        }
    }

    void Line(string text)
    {
        if (_barShown) writer.Write("\r" + new string(' ', Math.Max(_bar.Length, 80)) + "\r");
        _barShown = false;
        writer.WriteLine(text);
    }

    string ItemLine(BatchProgress p)
    {
        var r = p.Result!;
        var c = CultureInfo.InvariantCulture;
        string count = $"[{p.Completed.ToString(c).PadLeft(p.Total.ToString(c).Length)}/{p.Total}]";
        string eta = p.Remaining is { } left && p.Completed < p.Total ? $"  ETA {Duration(left)}" : "";
        if (r.Status == BatchItemStatus.Failed)
            return $"{count} failed  {p.Item.Label}: {Printable(r.Error ?? "")}{eta}";
        string score = scores && r.Scores is [var s, ..]
            ? string.Create(c, $"  F1 {s.BeatF1:F2} AV-Align {s.AvAlign:F2}") : "";
        return string.Create(c, $"{count} ok      {Printable(r.Video)} -> {Printable(r.Output)}  {r.Seconds:F1} s{score}{eta}");
    }

    static string Bar(BatchProgress p, string current)
    {
        const int width = 30;
        int filled = p.Total == 0 ? width : (int)Math.Round((double)p.Completed / p.Total * width);
        string eta = p.Remaining is { } left ? $"  ETA {Duration(left)}" : "";
        string failed = p.Failed > 0 ? $"  {p.Failed} failed" : "";
        return $"[{new string('#', filled)}{new string('.', width - filled)}] {p.Completed}/{p.Total}{failed}{eta}  {Printable(current)}";
    }

    static string Duration(TimeSpan t) => t.TotalHours >= 1
        ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}"
        : $"{t.Minutes}:{t.Seconds:00}";

    /// <summary>A path or message as one terminal line: control characters (a newline in a file name) as '?'.</summary>
    static string Printable(string text) => new(text.Select(ch => char.IsControl(ch) ? '?' : ch).ToArray());
}
