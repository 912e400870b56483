using System.CommandLine;
using System.Diagnostics.CodeAnalysis;

namespace LlmMem.Cli;

/// <summary>
/// <c>llmem serve</c> (ASP.NET Core) and <c>llmem plot</c> (ScottPlot, SkiaSharp): whether this build holds them.
/// </summary>
/// <remarks>
/// They are on in the JIT build, <c>dotnet run</c>, the global tool and the tests. The default Native AOT publish turns
/// them off (LlmMem.Cli.csproj, a <c>RuntimeHostConfigurationOption</c> with <c>Trim="true"</c>): ILC then treats
/// <see cref="IsSupported"/> as the constant false and leaves their code and their dependencies out of <c>llmem</c>, whose
/// start-up rehydrates the whole binary's data and so grows with its size (issue 12; docs/performance.md, Run 1 and
/// Run 2). There the two commands are handed to <see cref="FullBinary"/>, <c>llmem-full</c> beside it.
/// Feature switches: https://learn.microsoft.com/dotnet/core/deploying/trimming/trimming-options#trimming-framework-library-features
/// and <see cref="FeatureSwitchDefinitionAttribute"/> (.NET 9+).
/// </remarks>
internal static class FrontEnds
{
    /// <summary>The switch's name; LlmMem.Cli.csproj sets it to false for the slim native binary.</summary>
    public const string Switch = "LlmMem.Cli.FrontEnds.IsSupported";

    public const string Serve = "serve";

    public const string Plot = "plot";

    /// <summary>True unless the build turned the switch off.</summary>
    [FeatureSwitchDefinition(Switch)]
    public static bool IsSupported => !AppContext.TryGetSwitch(Switch, out var on) || on;

    /// <summary>Whether <paramref name="args"/> run a command this build leaves to <see cref="FullBinary"/>.</summary>
    public static bool IsHandedOver(string[] args) => !IsSupported && args is [Serve or Plot, ..];

    /// <summary>A placeholder, so <c>llmem --help</c> lists the command in every build; its arguments go to llmem-full.</summary>
    public static Command Placeholder(string name, string description) =>
        new(name, $"{description} In {FullBinary.Name}, beside this binary.") { TreatUnmatchedTokensAsErrors = false };
}
