namespace LlmMem.Cli.Tests;

/// <summary>Bad input gets one line naming what is valid, a non-zero exit code, and never a stack trace.</summary>
public class ErrorTests
{
    [Theory]
    [InlineData(2, "Unknown model 'llama': not in the catalog (see 'llmem models'), and not a parameter count such as 8B.", "infer", "llama")]
    [InlineData(2, "Unknown dtype 'bf61'. Valid: fp32, fp16, bf16, fp8, fp8_e5m2, int8, int4. Did you mean 'bf16'?", "infer", "8B", "--dtype", "bf61")]
    [InlineData(2, "Unknown optimizer 'adamx'. Valid: sgd, sgd-momentum, adam, adamw, adamw-8bit, paged-adamw-8bit, paged-adamw, adafactor, lion, lion-8bit, paged-lion-8bit, paged-lion. Did you mean 'adam'?", "train", "8B", "--optimizer", "adamx")]
    [InlineData(2, "Unknown precision 'mixed-bf61'", "train", "8B", "--precision", "mixed-bf61")]
    [InlineData(2, "Unknown engine 'lamacpp'. Valid: transformers, vllm, llamacpp. Did you mean 'llamacpp'?", "infer", "8B", "--engine", "lamacpp")]
    [InlineData(2, "Unknown GPU 'rtx-4900'", "infer", "8B", "--gpu", "rtx-4900")]
    [InlineData(2, "known ones. Did you mean 'apple-m2-ultra-192gb'? Or give its memory", "infer", "8B", "--gpu", "m2-ultra-192gb")]
    [InlineData(2, "known ones. Or give its memory with --gpu-memory", "infer", "8B", "--gpu", "quantum-gpu-9000")]
    [InlineData(2, "Unknown quantisation 'Q4_K_X'", "infer", "8B", "--quant", "Q4_K_X")]
    [InlineData(2, "Unknown format 'yaml'. Valid: table, json, markdown.", "infer", "8B", "--format", "yaml")]
    [InlineData(2, "Unknown units 'metric'. Valid: iec, si, both.", "infer", "8B", "--units", "metric")]
    [InlineData(2, "Parameter count '0' must be at least one parameter.", "infer", "0")]
    [InlineData(2, "Parameter count '1e30' is absurd", "infer", "1e30")]
    [InlineData(2, "--context must be at least 1, not 0.", "infer", "8B", "--context", "0")]
    [InlineData(2, "--context 'lots' is not a whole number", "infer", "8B", "--context", "lots")]
    [InlineData(2, "--batch 5000000 is absurd", "infer", "8B", "--batch", "5000000")]
    [InlineData(2, "--gpus 8 is not a multiple of --tp 3", "infer", "8B", "--tp", "3", "--gpus", "8")]
    [InlineData(2, "--gpu-memory: Cannot read memory size '24': give a number and a unit", "infer", "8B", "--gpu-memory", "24")]
    [InlineData(2, "Unrecognized command or argument '--bogus'. Run 'llmem infer --help' for usage.", "infer", "8B", "--bogus")]
    [InlineData(2, "Required argument missing for command: 'infer'.", "infer")]
    [InlineData(1, "--method lora needs the model's architecture", "train", "8B", "--method", "lora")]
    [InlineData(2, "Unknown training method 'fulll'", "train", "8B", "--method", "fulll")]
    public void BadInput_OneLineError_NonZeroExit(int expectedExit, string message, params string[] args)
    {
        var (exit, output, error) = CliRunner.Run(args);

        Assert.Equal(expectedExit, exit);
        Assert.Empty(output);
        Assert.StartsWith("error: ", error);
        Assert.Contains(message, error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void Overflow_IsAnErrorNotAWrongNumber()
    {
        // 100T parameters trained in fp32 on 65,536 data-parallel GPUs: 1.6 PB each, 105 EB in all: past a long.
        var (exit, _, error) = CliRunner.Run("train", "100T", "--precision", "fp32", "--gpus", "65536");

        Assert.Equal(1, exit);
        Assert.StartsWith("error: these numbers overflow a 64-bit count of bytes", error);
    }
}
