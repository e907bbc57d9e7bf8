using V2Meow.Cli;

namespace V2Meow.Tests.Cli;

/// <summary>Runs the CLI in-process as a user would, capturing its exit code, stdout and stderr.</summary>
internal static class CliRunner
{
    public static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await CommandLine.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    public static (int Code, string Out, string Err) Run(params string[] args) => RunAsync(args).GetAwaiter().GetResult();
}
