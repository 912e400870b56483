using LlmMem.Estimates;

namespace LlmMem.Cli.Rendering;

/// <summary>Writes an estimate in the format the user asked for.</summary>
internal static class EstimateRenderer
{
    public static void Render(Estimate estimate, RenderOptions options, CliOutput output)
    {
        switch (options.Format)
        {
            case OutputFormat.Json:
                output.Out.WriteLine(JsonRenderer.Render(estimate));
                break;
            case OutputFormat.Markdown:
                output.Out.Write(MarkdownRenderer.Render(estimate, options));
                break;
            default:
                TableRenderer.Render(estimate, options, output.CreateConsole());
                break;
        }
    }
}
