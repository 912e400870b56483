using BenchmarkDotNet.Running;

namespace LlmMem.Benchmarks;

/// <summary>Runs the suite: <c>dotnet run -c Release --project bench/LlmMem.Benchmarks -- --filter '*' --job short</c>.</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
