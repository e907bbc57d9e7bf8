using BenchmarkDotNet.Running;
using V2Meow.Bench;

// `dotnet run -c Release --project bench/V2Meow.Bench -- --filter '*'` runs every benchmark (see bench/README.md);
// BenchmarkDotNet's own options (--filter, --job, --list flat) all apply.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchConfig.Create());
