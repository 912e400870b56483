using System.CommandLine;
using LlmMem.Web;
using Microsoft.Extensions.Hosting;

namespace LlmMem.Cli.Commands;

/// <summary>
/// <c>llmem serve</c>: the web calculator on http://127.0.0.1:5178, in the JIT build and the native <c>llmem-full</c>
/// (ASP.NET Core's slim builder, handlers as plain request delegates, JSON through JsonNode: no trim or AOT warnings);
/// the slim native <c>llmem</c> hands it to <c>llmem-full</c> (<see cref="FrontEnds"/>).
/// </summary>
internal static class ServeCommand
{
    public const string Description = "The web calculator: a page and a JSON API (/api/infer, /api/train, /api/fit …) over the same estimates. Opens nothing; prints the address.";

    public static Command Create(CliOutput output)
    {
        var urls = new Option<string?>("--urls") { Description = $"Where to listen (default {WebServer.DefaultUrls}); e.g. http://0.0.0.0:8080 to serve a network.", HelpName = "url" };
        var allowedHosts = new Option<string?>("--allowed-hosts")
        {
            Description = "Host names the server answers for besides its listen address and localhost (a proxy's name, a machine name), comma-separated; * for any. Other Host headers get 400 (DNS rebinding).",
            HelpName = "names",
        };
        var command = new Command(FrontEnds.Serve, Description) { urls, allowedHosts };
        command.SetAction(result =>
        {
            var hosts = result.GetValue(allowedHosts)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var app = WebServer.Create(new WebServerOptions(result.GetValue(urls) ?? WebServer.DefaultUrls, AllowedHosts: hosts), Run);
            app.Start();
            foreach (var address in app.Urls)
            {
                output.Out.WriteLine($"llmem: the web calculator is at {address} (Ctrl+C stops it)");
            }

            output.Out.Flush();
            app.WaitForShutdown();
            return ExitCodes.Ok;
        });
        return command;

        // No response files: a request's values become arguments, and "@/etc/passwd" must stay text (OptionBag refuses it too).
        static int Run(string[] args, TextWriter stdout, TextWriter stderr) =>
            CliApp.Run(args, stdout, stderr, 120, static name => Environment.GetEnvironmentVariable(name), responseFiles: false);
    }
}
