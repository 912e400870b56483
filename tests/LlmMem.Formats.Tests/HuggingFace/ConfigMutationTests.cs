using System.Text;
using LlmMem.Formats.HuggingFace;

namespace LlmMem.Formats.Tests.HuggingFace;

/// <summary>Seeded random mutations of real configs: only ModelFormatException may escape, with a one-line message.</summary>
public class ConfigMutationTests
{
    private static readonly string[] Seeds =
    [
        "meta-llama--Llama-3.1-8B", "deepseek-ai--DeepSeek-V3", "openai--gpt-oss-20b", "google--gemma-3-4b-it", "Qwen--Qwen3-30B-A3B",
        "google-bert--bert-base-uncased", "openai-community--gpt2", "microsoft--phi-2",
    ];

    /// <summary>Replacements that keep the JSON valid but make values hostile.</summary>
    private static readonly string[] Values = ["0", "-1", "1e400", "18446744073709551615", "2147483648", "4096.5", "\"x\"", "null", "[]", "{}", "true", "9999999999"];

    [Fact]
    public void MutatedConfigs_OnlyEverFailWithAFormatError()
    {
        var random = new Random(20261125);
        var failures = new List<string>();
        foreach (var seed in Seeds)
        {
            var text = File.ReadAllText(Fixtures.Path(seed));
            for (var i = 0; i < 400; i++)
            {
                var mutated = Mutate(text, random);
                try
                {
                    ConfigReader.Read(Encoding.UTF8.GetBytes(mutated), "mutant.json", "mutant", "test");
                }
                catch (ModelFormatException e) when (!e.Message.Contains('\n'))
                {
                }
                catch (Exception e)
                {
                    failures.Add($"{seed} #{i}: {e.GetType().Name}: {e.Message}");
                }
            }
        }

        Assert.Empty(failures);
    }

    private static string Mutate(string text, Random random)
    {
        switch (random.Next(3))
        {
            case 0:
                // Replace a number value with a hostile one.
                var numbers = System.Text.RegularExpressions.Regex.Matches(text, @"(?<=:\s*)-?\d+(\.\d+)?(e-?\d+)?");
                if (numbers.Count == 0)
                {
                    return text;
                }

                var m = numbers[random.Next(numbers.Count)];
                return text[..m.Index] + Values[random.Next(Values.Length)] + text[(m.Index + m.Length)..];
            case 1:
                // Flip one byte.
                var chars = text.ToCharArray();
                chars[random.Next(chars.Length)] = (char)random.Next(32, 127);
                return new string(chars);
            default:
                // Cut the file short.
                return text[..random.Next(text.Length)];
        }
    }
}
