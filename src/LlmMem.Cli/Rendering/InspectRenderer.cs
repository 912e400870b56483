using System.Globalization;
using System.Text;
using System.Text.Json;
using LlmMem.Models;
using LlmMem.Units;
using Spectre.Console;

namespace LlmMem.Cli.Rendering;

/// <summary>Renders `llmem inspect`: the architecture and the parameters per component.</summary>
internal static class InspectRenderer
{
    public static IReadOnlyList<(string Name, string Value)> Facts(ModelDescription d)
    {
        var s = d.Shape;
        var a = d.FirstAttention;
        var facts = new List<(string, string)>
        {
            ("Architecture", s.Architecture),
            ("Layers", ModelDescription.N(s.LayerCount)),
            ("Hidden size", ModelDescription.N(s.HiddenSize)),
            ("Attention heads", ModelDescription.N(a.Heads)),
            ("KV heads", ModelDescription.N(d.KvHeads)),
            ("Head dim", a.HeadDim == a.ValueHeadDim ? ModelDescription.N(a.HeadDim) : $"{a.HeadDim} (q/k), {a.ValueHeadDim} (v)"),
            ("Attention", d.AttentionSummary),
        };
        if (a.Latent is { } m)
        {
            facts.Add(("Latent attention", $"q rank {(m.QueryRank is { } q ? ModelDescription.N(q) : "none")}, kv rank {m.KvRank}, nope {m.NopeHeadDim}, rope {m.RopeHeadDim}, v {m.ValueHeadDim}"));
        }

        facts.Add(("MLP", d.MlpSummary));
        facts.Add(("Norm", s.Norm.Kind));
        facts.Add(("Vocabulary", ModelDescription.N(s.VocabSize)));
        facts.Add(("Tied embeddings", s.TiedEmbeddings ? "yes" : "no"));
        facts.Add(("Context length", s.ContextLength > 0 ? ModelDescription.N(s.ContextLength) : "unknown"));
        facts.Add(("Stored dtype", s.StoredDtype.Name));
        facts.Add(("Quantization", s.Quantization is { } qz ? $"{qz.Description} ({qz.WeightType.Name}, {qz.WeightType.BitsPerElementText} bits)" : "none"));
        if (d.Model.Stored is { } stored)
        {
            facts.Add(("Files", $"{stored.Format}: {stored.Files.Length} file(s), {ModelDescription.N(stored.Tensors.Length)} tensors, {ModelDescription.N(stored.TensorBytes.Bytes)} B = {stored.TensorBytes.Format()}"));
            facts.Add(("Stored types", string.Join("; ", stored.ByType.Select(t => $"{t.Type.Name}: {ModelDescription.N(t.Elements)} elements, {t.Bytes.Format(UnitSystem.Iec)}"))));
            if (stored.LoadedBytes != stored.TensorBytes)
            {
                facts.Add(("Loaded", $"{ModelDescription.N(stored.LoadedBytes.Bytes)} B = {stored.LoadedBytes.Format()} (not loaded: {string.Join(", ", stored.Unloaded)})"));
            }
        }

        return facts;
    }

    public static void Table(ModelDescription d, UnitSystem units, IAnsiConsole console)
    {
        var model = d.Model;
        console.MarkupLine($"[bold]{Markup.Escape(model.Name)}[/] · {Markup.Escape(d.Shape.Architecture)} · {model.Parameters.FormatExact()} parameters ({model.Parameters.FormatShort()})"
            + (d.Shape.IsMixtureOfExperts ? $", {d.Breakdown.Active.FormatExact()} active ({d.Breakdown.Active.FormatShort()})" : ""));
        console.MarkupLine($"[grey]from {Markup.Escape(model.Origin)}[/]");
        console.WriteLine();

        var facts = new Table().Border(TableBorder.Rounded).HideHeaders();
        facts.AddColumn("");
        facts.AddColumn("");
        foreach (var (name, value) in Facts(d))
        {
            facts.AddRow(Markup.Escape(name), Markup.Escape(value));
        }

        console.Write(facts);

        var columns = RenderOptions.ColumnsFor(units);
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn(new TableColumn("Component").NoWrap());
        table.AddColumn(new TableColumn("Parameters").RightAligned().NoWrap());
        var moe = d.Shape.IsMixtureOfExperts;
        if (moe)
        {
            table.AddColumn(new TableColumn("Active").RightAligned().NoWrap());
        }

        table.AddColumn(new TableColumn("Stored as").NoWrap());
        table.AddColumn(new TableColumn("Bytes").RightAligned().NoWrap());
        foreach (var unit in columns)
        {
            table.AddColumn(new TableColumn(unit.Symbol).RightAligned().NoWrap());
        }

        foreach (var row in d.Components)
        {
            var name = row.Count.Loaded ? row.Count.Name : row.Count.Name + " (not loaded)";
            table.AddRow([
                Markup.Escape(name), ModelDescription.N(row.Count.Parameters), .. moe ? [ModelDescription.N(row.Count.ActiveParameters)] : Array.Empty<string>(),
                row.Type ?? "", row.Bytes is { } b ? ModelDescription.N(b.Bytes) : "", .. columns.Select(u => row.Bytes is { } x ? x.FormatIn(u) : "")]);
        }

        var total = d.WeightBytes;
        table.AddRow([
            "[bold]Total (loaded)[/]", $"[bold]{ModelDescription.N(d.Breakdown.Total.Value)}[/]",
            .. moe ? [$"[bold]{ModelDescription.N(d.Breakdown.Active.Value)}[/]"] : Array.Empty<string>(), "",
            $"[bold]{ModelDescription.N(total.Bytes)}[/]", .. columns.Select(u => $"[bold]{total.FormatIn(u)}[/]")]);
        console.WriteLine();
        console.Write(table);

        foreach (var note in model.Notes)
        {
            console.MarkupLine($"[yellow]note[/] [grey]({Markup.Escape(note.Code)})[/]: {Markup.Escape(note.Message)}");
        }
    }

    public static string Markdown(ModelDescription d)
    {
        var md = new StringBuilder();
        md.AppendLine($"## {d.Model.Name}");
        md.AppendLine();
        md.AppendLine("| | |");
        md.AppendLine("|---|---|");
        foreach (var (name, value) in Facts(d))
        {
            md.AppendLine($"| {name} | {value.Replace("|", "\\|", StringComparison.Ordinal)} |");
        }

        md.AppendLine();
        md.AppendLine("| Component | Parameters | Active | Stored as | Bytes | GiB | GB |");
        md.AppendLine("|---|---:|---:|---|---:|---:|---:|");
        foreach (var row in d.Components)
        {
            var bytes = row.Bytes is { } b ? $"{ModelDescription.N(b.Bytes)} | {b.FormatIn(ByteUnit.GiB)} | {b.FormatIn(ByteUnit.GB)}" : " | | ";
            md.AppendLine($"| {row.Count.Name}{(row.Count.Loaded ? "" : " (not loaded)")} | {ModelDescription.N(row.Count.Parameters)} | {ModelDescription.N(row.Count.ActiveParameters)} | {row.Type} | {bytes} |");
        }

        var total = d.WeightBytes;
        md.AppendLine($"| **Total (loaded)** | **{ModelDescription.N(d.Breakdown.Total.Value)}** | **{ModelDescription.N(d.Breakdown.Active.Value)}** | | **{ModelDescription.N(total.Bytes)}** | **{total.FormatIn(ByteUnit.GiB)}** | **{total.FormatIn(ByteUnit.GB)}** |");
        foreach (var note in d.Model.Notes)
        {
            md.AppendLine();
            md.AppendLine($"> **Note** (`{note.Code}`): {note.Message}");
        }

        return md.ToString();
    }

    public static string Json(ModelDescription d)
    {
        var s = d.Shape;
        var a = d.FirstAttention;
        var json = new InspectJson(new InspectModelJson(
            d.Model.Name, s.Architecture, d.Breakdown.Total.Value, d.Breakdown.Active.Value, s.LayerCount, s.HiddenSize, a.Heads, d.KvHeads, a.HeadDim,
            a.ValueHeadDim, s.VocabSize, s.ContextLength, s.StoredDtype.Name, s.TiedEmbeddings, d.Model.Origin,
            s.Quantization is { } q ? new QuantizationJson(q.Method, q.WeightType.Name, [.. q.QuantisedComponents]) : null,
            d.Moe is { } moe ? new MoeJson(moe.Experts, moe.ActiveExperts, moe.ExpertIntermediateSize, moe.SharedIntermediateSize) : null,
            a.Latent is { } m ? new LatentJson(m.QueryRank, m.KvRank, m.NopeHeadDim, m.RopeHeadDim, m.ValueHeadDim) : null,
            [.. d.Components.Select(c => new ComponentJson(c.Count.Name, c.Count.Parameters, c.Count.ActiveParameters, c.Bytes?.Bytes, c.Type, c.Count.Loaded))],
            d.WeightBytes.Bytes,
            d.Model.Stored is { } st
                ? new StoredJson(st.Format, [.. st.Files], st.Tensors.Length, st.TensorBytes.Bytes, st.LoadedBytes.Bytes,
                    [.. st.ByType.Select(t => new StoredTypeJson(t.Type.Name, t.Elements, t.Bytes.Bytes))])
                : null,
            [.. s.Layers.Select((l, i) => new LayerKindJson(i, l.Attention.Kind.ToString().ToLowerInvariant(), l.Attention.SlidingWindow, l.Attention.KvHeads,
                l.Mlp.Moe is null ? "dense" : "moe", l.Mlp.Moe?.Experts, l.Mlp.Moe?.ActiveExperts))],
            [.. d.Model.Notes.Select(n => new WarningJson(n.Code, n.Message, n.Field))]));
        return JsonSerializer.Serialize(json, JsonRenderer.Context.InspectJson);
    }
}

internal sealed record InspectJson(InspectModelJson Model);

internal sealed record InspectModelJson(
    string Name, string Architecture, long Parameters, long ActiveParameters, int Layers, long HiddenSize, int Heads, int KvHeads, int HeadDim,
    int ValueHeadDim, long VocabSize, long ContextLength, string Dtype, bool TiedEmbeddings, string Origin, QuantizationJson? Quantization,
    MoeJson? Moe, LatentJson? LatentAttention, List<ComponentJson> Components, long WeightBytes, StoredJson? Stored, List<LayerKindJson> LayerKinds,
    List<WarningJson> Warnings);

/// <summary>What the model's files hold, exactly (safetensors headers or GGUF tensor infos).</summary>
internal sealed record StoredJson(string Format, List<string> Files, int Tensors, long Bytes, long LoadedBytes, List<StoredTypeJson> ByType);

internal sealed record StoredTypeJson(string Dtype, long Elements, long Bytes);

internal sealed record QuantizationJson(string Method, string WeightType, List<string> Components);

internal sealed record MoeJson(int Experts, int ActiveExperts, long ExpertIntermediateSize, long SharedIntermediateSize);

internal sealed record LatentJson(int? QueryRank, int KvRank, int NopeHeadDim, int RopeHeadDim, int ValueHeadDim);

internal sealed record ComponentJson(string Name, long Parameters, long ActiveParameters, long? Bytes, string? Dtype, bool Loaded);

internal sealed record LayerKindJson(int Layer, string Attention, long? Window, int KvHeads, string Mlp, int? Experts, int? ActiveExperts);
