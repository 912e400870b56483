namespace LlmMem.Cli;

/// <summary>Process exit codes (BSD sysexits.h where one fits).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>A model file that cannot be read, valid input that cannot be estimated (e.g. LoRA without an architecture), or numbers too large to compute.</summary>
    public const int CannotEstimate = 1;

    /// <summary>Bad command line: unknown name, malformed or absurd number.</summary>
    public const int Usage = 2;

    /// <summary><c>llmem fit</c>: nothing fits, not even the smallest setting (the answer still says why).</summary>
    public const int DoesNotFit = 3;

    /// <summary>A bug in llmem (EX_SOFTWARE).</summary>
    public const int Internal = 70;
}
