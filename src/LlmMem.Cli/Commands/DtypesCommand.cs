using System.CommandLine;
using System.Globalization;
using LlmMem.Cli.Rendering;
using LlmMem.DataTypes;
using Spectre.Console;

namespace LlmMem.Cli.Commands;

/// <summary><c>llmem dtypes</c>: every storage type with its exact block layout and bits per element.</summary>
internal static class DtypesCommand
{
    public static Command Create(CliOutput output)
    {
        var format = CommonOptions.NewFormat();
        var command = new Command("dtypes", "Every data type llmem knows: elements per block, bytes per block, bits per element.") { format };
        command.SetAction(result =>
        {
            var types = DataType.All;
            switch (CommonOptions.ParseFormat(result.GetValue(format)))
            {
                case OutputFormat.Table:
                    var table = new Table().Border(TableBorder.Rounded);
                    foreach (var column in new[] { "Name", "GGML id", "Elements/block", "Bytes/block", "Bits/element", "Aliases", "Layout" })
                    {
                        table.AddColumn(new TableColumn(column));
                    }

                    foreach (var c in new[] { 1, 2, 3, 4 })
                    {
                        table.Columns[c].RightAligned();
                    }

                    foreach (var t in types)
                    {
                        table.AddRow(Markup.Escape(t.Name), t.GgmlId?.ToString(CultureInfo.InvariantCulture) ?? "", Num(t.ElementsPerBlock), Num(t.BytesPerBlock),
                            t.BitsPerElementText, Markup.Escape(string.Join(", ", t.Aliases)), Markup.Escape(t.Layout));
                    }

                    output.CreateConsole().Write(table);
                    break;
                case OutputFormat.Json:
                    var rows = types.Select(t => new DataTypeJson(t.Name, t.GgmlId, t.Family.ToString().ToLowerInvariant(), t.ElementsPerBlock, t.BytesPerBlock,
                        t.BitsPerElement, [.. t.Aliases], t.Layout, t.Source)).ToList();
                    output.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(rows, JsonRenderer.Context.ListDataTypeJson));
                    break;
                default:
                    output.Out.WriteLine("| Name | GGML id | Elements/block | Bytes/block | Bits/element | Layout |");
                    output.Out.WriteLine("|---|---:|---:|---:|---:|---|");
                    foreach (var t in types)
                    {
                        output.Out.WriteLine($"| {t.Name} | {t.GgmlId} | {t.ElementsPerBlock} | {t.BytesPerBlock} | {t.BitsPerElementText} | {t.Layout} |");
                    }

                    break;
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Num(int value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
