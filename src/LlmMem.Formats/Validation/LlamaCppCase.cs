using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using LlmMem.DataTypes;
using LlmMem.Models;

namespace LlmMem.Formats.Validation;

/// <summary>What a llama.cpp ground-truth case records, read from its JSON line (data/groundtruth/README.md).</summary>
internal sealed partial class LlamaCppCase(JsonElement root)
{
    public string Id => root.GetProperty("id").GetString()!;

    public JsonElement? Meta => root.TryGetProperty("meta", out var m) && m.ValueKind == JsonValueKind.Object ? m : null;

    public JsonElement Context => root.GetProperty("context");

    public string Log => root.TryGetProperty("raw_log", out var l) ? l.GetString() ?? "" : "";

    private string Text(params string[] path)
    {
        var e = root;
        foreach (var p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e))
            {
                return "";
            }
        }

        return e.ValueKind == JsonValueKind.String ? e.GetString()! : "";
    }

    public string ModelName => Text("model", "name");

    /// <summary>"fork" for ik_llama.cpp and other forks, "partial" when the source lacks something, else "main".</summary>
    public string Group
    {
        get
        {
            var version = (Text("llama_cpp_version_hint") + " " + Text("engine")).ToLowerInvariant();
            if (version.Contains("ik_llama", StringComparison.Ordinal) || version.Contains("fork", StringComparison.Ordinal))
            {
                return "fork";
            }

            var completeness = Text("completeness").ToLowerInvariant();
            return completeness.Length == 0 || completeness.StartsWith("complete", StringComparison.Ordinal) ? "main" : "partial";
        }
    }

    public long? MetaLong(string name) =>
        Meta is { } m && m.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var x) ? x : null;

    public string? MetaText(string name) =>
        Meta is { } m && m.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public long? ContextLong(string name) =>
        Context.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var x) ? x : null;

    public string? ContextText(string name) =>
        Context.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>Flash attention as the case records it: true, false, or text such as "auto -> enabled".</summary>
    public bool FlashAttention => Context.TryGetProperty("flash_attn", out var v)
        && (v.ValueKind == JsonValueKind.True || (v.ValueKind == JsonValueKind.String && v.GetString()!.Contains("enabled", StringComparison.Ordinal)));

    /// <summary>The KV lines ("KV self size = X MiB", "llama_kv_cache: size = X MiB"): their sum and count.</summary>
    public (double MiB, int Lines)? KvMiB()
    {
        var sizes = KvLine().Matches(Log).Select(m => double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture)).ToList();
        return sizes.Count == 0 ? null : (sizes.Sum(), sizes.Count);
    }

    /// <summary>The "output buffer size = X MiB" lines: their sum and count.</summary>
    public (double MiB, int Lines)? OutputMiB()
    {
        var sizes = OutputLine().Matches(Log).Select(m => double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture)).ToList();
        return sizes.Count == 0 ? null : (sizes.Sum(), sizes.Count);
    }

    /// <summary>The largest "compute buffer size = X MiB" line: the main device's reservation.</summary>
    public double? LargestComputeMiB()
    {
        var sizes = ComputeLine().Matches(Log).Select(m => double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture)).ToList();
        return sizes.Count == 0 ? null : sizes.Max();
    }

    /// <summary>Whether the case records a full-size sliding-window cache (<c>swa_full</c>: llama.h's own default, which LM Studio keeps).</summary>
    public bool SwaFull => Context.TryGetProperty("swa_full", out var v) && v.ValueKind == JsonValueKind.True;

    /// <summary>
    /// Whether the KV cache was one buffer for all sequences, as the case records it (<c>kv_unified</c> in its context)
    /// or its log prints it ("llama_context: kv_unified = true", b5913 on); null when neither says.
    /// </summary>
    public bool? KvUnified => Context.TryGetProperty("kv_unified", out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
        ? v.ValueKind == JsonValueKind.True
        : KvUnifiedLine().Match(Log) is { Success: true } m ? m.Groups["v"].Value == "true" : null;

    [GeneratedRegex(@"kv_unified\s*=\s*(?<v>true|false)")]
    private static partial Regex KvUnifiedLine();

    /// <summary>The version hint's text ("build = 3673 (8ebe8dde), 2024-09", "ik_llama.cpp fork …", "~2025-06 (…)").</summary>
    public string VersionHint => Text("llama_cpp_version_hint");

    /// <summary>Whether the engine is a fork (ik_llama.cpp, vendor builds), whose build numbers count its own commits.</summary>
    public bool IsFork => Group == "fork";

    /// <summary>Whether the run output embeddings: its command line says --embedding, or it is Ollama's runner (which passes it).</summary>
    public bool Embeddings => (ContextText("cmdline") ?? "").Contains("--embedding", StringComparison.Ordinal)
        || (Text("engine") + " " + Text("llama_cpp_version_hint")).Contains("ollama", StringComparison.OrdinalIgnoreCase);

    /// <summary>The "model size" / "file size" line: bytes, and half a unit of its last printed digit.</summary>
    public (double Bytes, double Precision)? ModelSize()
    {
        var match = SizeLine().Match(Log);
        if (!match.Success)
        {
            return null;
        }

        var number = match.Groups["n"].Value;
        var unit = match.Groups["u"].Value == "GiB" ? 1024.0 * 1024 * 1024 : 1024.0 * 1024;
        var decimals = number.Contains('.') ? number.Length - number.IndexOf('.') - 1 : 0;
        return (double.Parse(number, CultureInfo.InvariantCulture) * unit, 0.5 * Math.Pow(10, -decimals) * unit);
    }

    /// <summary>llama.cpp's file-type description ("Q4_K - Medium", "IQ4_XS - 4.25 bpw", "MXFP4 MoE") as a file type.</summary>
    public LlamaFileType? FileType()
    {
        var text = (MetaText("ftype") ?? "").Trim();
        if (text.Length == 0)
        {
            return null;
        }

        var name = text.Split(' ')[0];
        var size = text.Contains("Small", StringComparison.Ordinal) ? "_S" : text.Contains("Medium", StringComparison.Ordinal) ? "_M"
            : text.Contains("Large", StringComparison.Ordinal) ? "_L" : "";
        if (name == "MXFP4" && text.Contains("MoE", StringComparison.Ordinal))
        {
            return LlamaFileType.Find("MXFP4_MOE");
        }

        return LlamaFileType.Find(name + size) ?? LlamaFileType.Find(name);
    }

    /// <summary>Whether the case says an importance matrix was used (in its model name or notes).</summary>
    public bool Imatrix => (ModelName + " " + Text("notes")).Contains("imatrix", StringComparison.OrdinalIgnoreCase);

    public DataType? CacheType(string field) =>
        ContextText(field) is { } name ? Inference.LlamaCppSettings.CacheTypes.FirstOrDefault(t => t.Matches(name)) : null;

    [GeneratedRegex(@"(?:KV self size|llama_kv_cache(?:_unified)?: size)\s*=\s*(?<n>[0-9.]+) MiB")]
    private static partial Regex KvLine();

    [GeneratedRegex(@"compute buffer size\s*=\s*(?<n>[0-9.]+) MiB")]
    private static partial Regex ComputeLine();

    [GeneratedRegex(@"output buffer size\s*=\s*(?<n>[0-9.]+) MiB")]
    private static partial Regex OutputLine();

    [GeneratedRegex(@"(?:model|file) size\s*=\s*(?<n>[0-9.]+) (?<u>MiB|GiB)")]
    private static partial Regex SizeLine();
}
