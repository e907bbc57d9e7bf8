using BenchmarkDotNet.Running;

// `dotnet run -c Release --project bench/V2Meow.Bench -- --filter '*'` runs every benchmark;
// BenchmarkDotNet's own options (--filter, --job short, --list flat) all apply.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
