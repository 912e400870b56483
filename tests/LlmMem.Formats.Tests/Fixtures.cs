using LlmMem.Formats.HuggingFace;
using LlmMem.Models;

namespace LlmMem.Formats.Tests;

/// <summary>The real config.json files of data/hf-configs (sources in its INDEX.md), read as a user's file would be.</summary>
internal static class Fixtures
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "hf-configs", name + ".json");

    public static ModelSpec Read(string name) => ConfigReader.Read(File.ReadAllBytes(Path(name)), name + ".json", name, "test");

    public static ModelSpec Parse(string json) => ConfigReader.Read(System.Text.Encoding.UTF8.GetBytes(json), "config.json", "test", "test");
}
