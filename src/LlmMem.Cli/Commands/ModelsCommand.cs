using System.CommandLine;
using System.Text.Json;
using LlmMem.Cli.Rendering;
using LlmMem.Formats.Catalog;
using Spectre.Console;

namespace LlmMem.Cli.Commands;

/// <summary><c>llmem models</c>: the offline catalog.</summary>
internal static class ModelsCommand
{
    public static Command Create(CliOutput output)
    {
        var search = new Option<string?>("--search") { Description = "Only models whose id, alias or family contains this text.", HelpName = "text" };
        var format = CommonOptions.NewFormat();
        var command = new Command("models", "The built-in offline catalog: real published config.json files, with their sources.") { search, format };
        command.SetAction(result =>
        {
            var text = result.GetValue(search)?.Trim().ToLowerInvariant();
            var rows = ModelCatalog.Entries
                .Select(e => (Entry: e, Model: ModelCatalog.Load(e)))
                .Where(r => text is null || r.Entry.Aliases.Any(a => a.Contains(text, StringComparison.Ordinal))
                    || r.Model.Shape!.Architecture.Contains(text, StringComparison.OrdinalIgnoreCase))
                .ToList();
            var json = rows.Select(r => new CatalogModelJson(r.Entry.Id, [.. r.Entry.Aliases.Skip(1)], r.Model.Shape!.Architecture, r.Model.Parameters.Value,
                r.Model.Breakdown!.Active.Value, r.Model.Shape.ContextLength, r.Model.Shape.StoredDtype.Name, r.Entry.Source, r.Entry.OfficialParameters)).ToList();
            switch (CommonOptions.ParseFormat(result.GetValue(format)))
            {
                case OutputFormat.Json:
                    output.Out.WriteLine(JsonSerializer.Serialize(json, JsonRenderer.Context.ListCatalogModelJson));
                    break;
                case OutputFormat.Markdown:
                    output.Out.WriteLine("| Model | Family | Parameters | Active | Context | Dtype |");
                    output.Out.WriteLine("|---|---|---:|---:|---:|---|");
                    foreach (var m in json)
                    {
                        output.Out.WriteLine($"| {m.Id} | {m.Architecture} | {ModelDescription.N(m.Parameters)} | {ModelDescription.N(m.ActiveParameters)} | {ModelDescription.N(m.ContextLength)} | {m.Dtype} |");
                    }

                    break;
                default:
                    var table = new Table().Border(TableBorder.Rounded);
                    table.AddColumn("Model");
                    table.AddColumn("Family");
                    table.AddColumn(new TableColumn("Parameters").RightAligned());
                    table.AddColumn(new TableColumn("Active").RightAligned());
                    table.AddColumn(new TableColumn("Context").RightAligned());
                    table.AddColumn("Dtype");
                    foreach (var (entry, model) in rows)
                    {
                        var moe = model.Shape!.IsMixtureOfExperts;
                        table.AddRow(Markup.Escape(entry.Id), Markup.Escape(model.Shape.Architecture), model.Parameters.FormatShort(),
                            moe ? model.Breakdown!.Active.FormatShort() : "", ModelDescription.N(model.Shape.ContextLength), model.Shape.StoredDtype.Name);
                    }

                    var console = output.CreateConsole();
                    console.Write(table);
                    console.MarkupLine($"[grey]{rows.Count} of {ModelCatalog.Entries.Count} models. Any name above, or an alias such as llama-3.1-8b, works as MODEL.[/]");
                    break;
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
