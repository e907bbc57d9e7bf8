// An app that embeds V2Meow.Runtime: score every video named on the command line with one loaded model,
// two at a time, each with its own seed, reporting progress and stopping cleanly on Ctrl+C.
//
//   dotnet run --project runtime/V2Meow.Sample -- a.mp4 b.mp4 c.mp4
using V2Meow.Runtime;
using V2Meow.Runtime.Generation;

if (args.Length == 0)
{
    Console.Error.WriteLine("usage: V2Meow.Sample VIDEO [VIDEO …]   (writes VIDEO.music.wav beside each)");
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

// Load once: weights go to the device a single time and every generation below shares them.
using var pipeline = MusicModel.LoadDefault();
Console.WriteLine($"model {pipeline.ModelName} ({pipeline.Family}) on {pipeline.Device.Name}");

using var slots = new SemaphoreSlim(2);
var jobs = args.Select(async (video, index) =>
{
    await slots.WaitAsync(cancel.Token);
    try
    {
        var progress = new Progress<GenerationProgress>(p =>
            Console.WriteLine($"{Path.GetFileName(video)}: {p.Stage} {p.Fraction:P0}"));
        var result = await pipeline.GenerateAsync(new VideoInput { VideoPath = video },
            new GenerationOptions { Seed = (ulong)index }, progress, cancel.Token);
        string output = Path.ChangeExtension(video, ".music.wav");
        await MusicWriter.WriteAsync(result, 0, output, video, cancel.Token);
        Console.WriteLine($"{output}: {result.DurationSeconds:F1} s");
    }
    finally
    {
        slots.Release();
    }
});
await Task.WhenAll(jobs);
return 0;
