using System.Collections.Immutable;
using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Models;
using LlmMem.Units;

namespace LlmMem.Formulas;

/// <summary>A tensor to place: its GGUF name and exact bytes; its type and dimensions (ne0 first) where known.</summary>
public sealed record PlacedTensor(string Name, ByteSize Bytes, DataType? Type = null, ImmutableArray<long> Ne = default);

/// <summary>
/// Where llama.cpp puts each tensor with <c>-ngl N</c> on one GPU (src/llama-model.cpp load_tensors): the input layer
/// (token embeddings) always stays on the CPU; of the L repeating layers the last N go to the GPU
/// (i_gpu_start = max(L − N, 0)); the output layer (output norm and head) goes too only when N ≥ L + 1.
/// </summary>
/// <remarks>
/// <c>--n-cpu-moe N</c> (common/arg.cpp) overrides the buffer of the expert tensors (<c>ffn_*_exps</c>) of layers 0 … N − 1
/// to the CPU, whatever -ngl says.
/// </remarks>
public sealed class LlamaCppPlacement(int layers, int gpuLayers, int cpuMoeLayers = 0, IReadOnlyList<double>? split = null)
{
    public int Layers { get; } = layers;

    /// <summary>
    /// Cumulative shares of the offloaded layers per GPU (src/llama-model.cpp load_tensors: the tensor split, or each
    /// device's free memory, normalised and summed); one GPU: [1].
    /// </summary>
    private readonly double[] cumulative = Cumulative(split);

    public int Gpus => cumulative.Length;

    /// <summary>The first repeating layer on the GPU.</summary>
    public int FirstGpuLayer { get; } = Math.Max(layers - gpuLayers, 0);

    private readonly int offloaded = Math.Min(gpuLayers, layers + 1);

    /// <summary>True when layer <paramref name="layer"/> (0 … L − 1, or L for the output layer) sits on the GPU.</summary>
    public bool OnGpu(int layer) => layer >= FirstGpuLayer && layer - FirstGpuLayer < offloaded;

    public bool OutputOnGpu => OnGpu(Layers);

    /// <summary>
    /// The GPU that holds layer <paramref name="layer"/> (L for the output layer), or −1 for the host: the first GPU whose
    /// cumulative share exceeds (layer − first offloaded layer) / offloaded layers (src/llama-model.cpp: std::upper_bound
    /// over the splits). Example: 32 layers + output on 4 equal GPUs: layers 0–8, 9–16, 17–24, 25–31 and the output.
    /// </summary>
    public int GpuOf(int layer)
    {
        if (!OnGpu(layer))
        {
            return -1;
        }

        var position = (double)(layer - FirstGpuLayer) / offloaded;
        for (var i = 0; i < cumulative.Length; i++)
        {
            if (cumulative[i] > position)
            {
                return i;
            }
        }

        return cumulative.Length - 1;
    }

    private static double[] Cumulative(IReadOnlyList<double>? split)
    {
        if (split is null || split.Count == 0 || split.Sum() <= 0)
        {
            return [1.0];
        }

        var total = split.Sum();
        var sum = 0.0;
        return [.. split.Select(x => (sum += x) / total)];
    }

    /// <summary>The layer of a GGUF tensor: "blk.N.…" → N; output tensors → L; input tensors (embeddings) → −1.</summary>
    public int LayerOf(string name)
    {
        if (name.StartsWith("blk.", StringComparison.Ordinal))
        {
            var end = name.IndexOf('.', 4);
            return int.Parse(name.AsSpan(4, end - 4), System.Globalization.CultureInfo.InvariantCulture);
        }

        return name.StartsWith("output", StringComparison.Ordinal) ? Layers : -1;
    }

    public bool OnGpu(PlacedTensor tensor) =>
        LayerOf(tensor.Name) is var layer && layer >= 0 && OnGpu(layer)
        && !(layer < cpuMoeLayers && tensor.Name.Contains("_exps", StringComparison.Ordinal));

    /// <summary>Model buffer bytes on the GPU and on the host, as llama.cpp's "model buffer size" lines add up per device.</summary>
    public (Term Gpu, Term Host) Weights(ImmutableArray<PlacedTensor> tensors, string what)
    {
        var gpu = tensors.Where(OnGpu).ToList();
        var host = tensors.Where(t => !OnGpu(t)).ToList();
        var gpuBytes = gpu.Aggregate(ByteSize.Zero, (s, t) => s + t.Bytes);
        var hostBytes = host.Aggregate(ByteSize.Zero, (s, t) => s + t.Bytes);
        var layersText = FirstGpuLayer >= Layers ? "no layers" : $"layers {FirstGpuLayer}–{Layers - 1}";
        const string source = "llama.cpp src/llama-model.cpp load_tensors: input layer on the CPU, the last -ngl layers (and the output layer when -ngl > layers) on the GPU";
        return (
            new Term(TermId.Weights, $"Model buffer ({what})", gpuBytes, source,
                () => $"{gpu.Count} tensors of {layersText}{(OutputOnGpu ? " and the output layer" : "")}"),
            new Term(TermId.Weights, $"Model buffer ({what})", hostBytes, source,
                () => $"{host.Count} tensors: token embeddings{(FirstGpuLayer > 0 ? $", layers 0–{Math.Min(FirstGpuLayer, Layers) - 1}" : "")}{(OutputOnGpu ? "" : ", the output layer")}{(cpuMoeLayers > 0 ? $", the experts of layers 0–{Math.Min(cpuMoeLayers, Layers) - 1}" : "")}"));
    }

    /// <summary>
    /// The host's model buffer as llama.cpp holds it: with mmap (the default) the tensors are views into the mapped GGUF
    /// file ("CPU_Mapped model buffer", src/llama-model.cpp load_tensors: buffers from the file's host pointer when
    /// use_mmap); with --no-mmap they are read into an allocated host buffer ("CPU model buffer"). Same bytes either way.
    /// </summary>
    /// <summary>Whether a tensor belongs to the input layer (token embeddings), which always stays on the CPU.</summary>
    public bool InInputLayer(PlacedTensor tensor) => LayerOf(tensor.Name) < 0;

    public static Term HostWeights(Term host, bool noMmap) =>
        host.WithLabel(host.Label.TrimEnd(')') + (noMmap ? ", --no-mmap)" : ", CPU_Mapped)"));

    /// <summary>The model buffer of GPU <paramref name="gpu"/> when the offloaded layers are split over several GPUs.</summary>
    public Term WeightsOnGpu(int gpu, ImmutableArray<PlacedTensor> tensors, string what)
    {
        var mine = tensors.Where(t => OnGpu(t) && GpuOf(LayerOf(t.Name)) == gpu).ToList();
        var layers = Enumerable.Range(0, Layers).Where(l => GpuOf(l) == gpu).ToList();
        var bytes = mine.Aggregate(ByteSize.Zero, (s, t) => s + t.Bytes);
        return new Term(TermId.Weights, $"Model buffer ({what})", bytes,
            "llama.cpp src/llama-model.cpp load_tensors: offloaded layers split over the GPUs by the tensor split (default: each GPU's memory)",
            () => $"{mine.Count} tensors of {(layers.Count == 0 ? "no layers" : $"layers {layers[0]}–{layers[^1]}")}{(GpuOf(Layers) == gpu ? " and the output layer" : "")}");
    }

    /// <summary>
    /// The output buffer llama.cpp reserves in host memory: n_vocab logits (and n_embd embeddings with --embedding) as
    /// fp32 for each of max(1, n_seq_max) outputs (src/llama-context.cpp output_reserve).
    /// Example: Llama-3.1-8B, one sequence: 128,256 × 4 B = 0.49 MiB.
    /// </summary>
    public static Term OutputBuffer(ModelShape shape, int sequences, bool embeddings)
    {
        var perOutput = checked(shape.VocabSize + (embeddings ? shape.HiddenSize : 0));
        var bytes = ByteSize.FromBytes(checked(perOutput * 4 * Math.Max(1, sequences)));
        return new Term(TermId.OutputBuffer, "Output buffer (logits)", bytes, "llama.cpp src/llama-context.cpp output_reserve",
            () => $"({FormulaText.Count(shape.VocabSize)} logits{(embeddings ? $" + {FormulaText.Count(shape.HiddenSize)} embeddings" : "")}) × 4 B × {Math.Max(1, sequences)} sequence(s)");
    }
}
