using V2Meow.Cli;

return await CommandLine.RunAsync(args, Console.Out, Console.Error);
