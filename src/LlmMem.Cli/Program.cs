using LlmMem.Cli;

return CliApp.Run(args, Console.Out, Console.Error);

/// <summary>The entry point; public so the web tests' WebApplicationFactory can name the assembly that has one.</summary>
public partial class Program;
