using System.Runtime.InteropServices;
using V2Meow.Cli;

PhaseClock.MarkMain();

// Ctrl+C cancels the running generation cleanly (nothing is left at the output path); a second one kills.
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (cancel.IsCancellationRequested) return;
    e.Cancel = true;
    cancel.Cancel();
};
// SIGTERM (kill, systemd, Kubernetes) cleans up as Ctrl+C does: partial outputs, temporary files and the
// ffmpeg children go; a second one terminates at once.
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    if (cancel.IsCancellationRequested) return;
    context.Cancel = true;
    cancel.Cancel();
});
return await CommandLine.RunAsync(args, Console.Out, Console.Error, cancel.Token);
