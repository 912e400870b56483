using System.Text.Json;
using LlmMem.Estimates;
using LlmMem.Models;

namespace LlmMem.Formats.HuggingFace;

/// <summary>Reads a Hugging Face config.json into a <see cref="ModelSpec"/> with its shape and exact parameter counts.</summary>
public static class ConfigReader
{
    /// <summary>Every supported <c>model_type</c>, sorted.</summary>
    public static IReadOnlyList<string> SupportedFamilies { get; } = [.. Families.Supported.Order(StringComparer.Ordinal), "gemma3 (text model)"];

    /// <summary>Reads config.json bytes. <paramref name="file"/> names the source in errors; <paramref name="name"/> the model.</summary>
    /// <exception cref="ModelFormatException">Malformed JSON, a missing or absurd field, or an unsupported family.</exception>
    public static ModelSpec Read(ReadOnlySpan<byte> json, string file, string name, string origin)
    {
        if (json.Length > ConfigLimits.MaxBytes)
        {
            throw new ModelFormatException(file, $"{json.Length:N0} bytes is too large for a config.json (the limit is {ConfigLimits.MaxBytes:N0}).");
        }

        // Found by fuzzing (docs/robustness.md): invalid UTF-8 in a string, or an escaped half surrogate in a string or a key,
        // escaped as InvalidOperationException when the string was read or the key compared.
        if (JsonText.FirstInvalidUtf8(json) is var bad and >= 0)
        {
            throw new ModelFormatException(file, $"not valid UTF-8 (byte {bad + 1:N0}).");
        }

        JsonDocument document;
        var options = new JsonReaderOptions { MaxDepth = ConfigLimits.MaxDepth, CommentHandling = JsonCommentHandling.Skip };
        try
        {
            var reader = new Utf8JsonReader(json, options);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(file, $"not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
        }

        if (JsonText.FirstBadEscape(json, options) is var escape and >= 0)
        {
            document.Dispose();
            throw new ModelFormatException(file, $"a string holds an escape that is not text, half a surrogate pair (byte {escape + 1:N0}).");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException(file, "a config.json must be a JSON object.");
            }

            var outer = new ConfigJson(document.RootElement, file);
            var notes = new List<EstimateWarning>();
            var modelType = outer.OptionalString("model_type")
                ?? throw new ModelFormatException(file, "no 'model_type': cannot tell which architecture this is.");
            var config = outer;
            if (outer.OptionalObject("text_config") is { } text)
            {
                // Multimodal wrappers (Gemma 3, Llava, Qwen-VL …) nest the language model; its model_type may be implied.
                config = text;
                modelType = text.OptionalString("model_type") ?? modelType + "_text";
                if (outer.Has("vision_config"))
                {
                    notes.Add(new("vision_not_counted", "This is a multimodal model: only its language model is counted; the vision encoder and projector are not.", "model"));
                }
            }

            if (FamilyNames.Recurrent.Contains(modelType) || FamilyNames.Recurrent.Contains(outer.OptionalString("model_type")!))
            {
                throw new ModelFormatException(file,
                    $"model_type {ConfigJson.Quote(modelType)} is a recurrent or linear-attention (hybrid) model; llmem does not model its state memory yet.");
            }

            var family = Families.Find(modelType)
                ?? throw new ModelFormatException(file, $"unsupported model_type {ConfigJson.Quote(modelType)}. Supported: {string.Join(", ", SupportedFamilies)}.");
            var shape = family(new FamilyReader(config, outer, modelType, notes));
            return ModelSpec.FromShape(name, shape, origin, [.. notes]);
        }
    }
}
