using LlmMem.Formats.Tests.Safetensors;
using LlmMem.Inference;

namespace LlmMem.Formats.Tests.Gguf;

/// <summary>A .gguf on disk, resolved as a user's MODEL argument: shape from metadata, bytes from the tensor infos.</summary>
public class GgufFileModelTests
{
    private static string WriteSparse(GgufBuilder builder, string path)
    {
        var image = builder.Build();
        using var file = File.Create(path);
        file.Write(image.Header);
        file.SetLength(image.Length);
        return path;
    }

    [Fact]
    public void GgufFile_IsAModel_WithExactTensorBytes()
    {
        using var folder = new TempFolder();
        var builder = GgufModels.Llama3_8B();
        var path = WriteSparse(builder, folder.File("Meta-Llama-3-8B.gguf"));

        var model = ModelResolver.Resolve(path);

        Assert.Equal(8_030_261_248L, model.Parameters.Value); // the same count as its config.json
        Assert.Equal("gguf", model.Stored!.Format);
        var estimate = InferenceEstimator.Estimate(new InferenceRequest(model, InferenceEngine.LlamaCpp));
        var weights = estimate.Devices.SelectMany(d => d.Terms).Where(t => t.Id == Estimates.TermId.Weights).Sum(t => t.Bytes.Bytes);
        Assert.Equal(model.Stored.TensorBytes.Bytes, weights);
        Assert.Equal(builder.Build().Read().Tensors.Sum(t => t.Bytes.Bytes), weights);
        // The token embeddings stay on the host (llama.cpp's input layer); everything else is offloaded by default.
        Assert.Equal(model.Stored.Tensors.Single(t => t.Name == "token_embd.weight").Bytes, estimate.Devices.Single(d => d.Name == "cpu").Terms[0].Bytes);
    }
}
