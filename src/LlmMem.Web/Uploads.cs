using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace LlmMem.Web;

/// <summary>
/// Headers the page uploads (a config.json, a .safetensors header, a .gguf prefix), kept in a private temporary folder
/// and named to the CLI by a token (<c>upload:&lt;id&gt;</c>) so a user never names a path on the server.
/// A header is written at its place in a sparse file as long as the original, so the readers' checks that every tensor
/// fits in the file hold without the tensors' bytes.
/// </summary>
public sealed class Uploads : IDisposable
{
    /// <summary>The largest header the page may send: 64 MiB covers GGUF tensor infos of any published model.</summary>
    public const long MaxBytes = 64L << 20;

    /// <summary>The largest original file a header may claim to come from (2 PiB): a sparse file's length, never written.</summary>
    public const long MaxFileBytes = 1L << 51;

    /// <summary>Uploads kept at once; the oldest is deleted beyond this.</summary>
    public const int MaxKept = 64;

    private readonly string root = Path.Combine(Path.GetTempPath(), "llmem-web-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
    private readonly ConcurrentDictionary<string, string> paths = new();
    private readonly ConcurrentQueue<string> order = new();

    /// <summary>Saves an upload and returns its token.</summary>
    public async Task<string> SaveAsync(string fileName, long fileSize, Stream body, CancellationToken cancel)
    {
        var name = Path.GetFileName(fileName);
        var kind = name.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? ".gguf"
            : name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? ".safetensors"
            : name.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? ".json"
            : throw new OptionBagException($"'{name}' is not a config.json, a .safetensors or a .gguf file.");
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        // The folder is named after the file (the CLI names a model after its folder): "upload:<id>/Llama-3.1-8B-Q4_K_M".
        var stem = new string([.. Path.GetFileNameWithoutExtension(name).Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').Take(100)]);
        var folder = Path.Combine(root, id, stem is "" or "config" or "model" ? "uploaded" : stem);
        Directory.CreateDirectory(folder);
        var safeName = kind == ".json" ? "config.json" : "model" + kind;
        var path = Path.Combine(folder, safeName);
        try
        {
            await WriteAsync(path, kind, fileSize, body, cancel);
        }
        catch
        {
            TryDelete(Path.Combine(root, id)); // a refused or broken upload leaves nothing behind (it has no token to expire with)
            throw;
        }

        paths[id] = kind == ".json" ? folder : path;

        order.Enqueue(id);
        while (order.Count > MaxKept && order.TryDequeue(out var old))
        {
            if (paths.TryRemove(old, out _))
            {
                TryDelete(Path.Combine(root, old));
            }
        }

        return "upload:" + id;
    }

    private static async Task WriteAsync(string path, string kind, long fileSize, Stream body, CancellationToken cancel)
    {
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        var buffer = new byte[81920];
        long written = 0;
        int n;
        while ((n = await body.ReadAsync(buffer, cancel)) > 0)
        {
            written += n;
            if (written > MaxBytes)
            {
                throw TooLarge();
            }

            await file.WriteAsync(buffer.AsMemory(0, n), cancel);
        }

        if (kind != ".json" && fileSize > written)
        {
            if (fileSize > MaxFileBytes)
            {
                throw new OptionBagException($"A file of {fileSize} bytes is beyond any model llmem sizes.");
            }

            file.SetLength(fileSize); // sparse: the tensors' bytes are never read
        }
    }

    /// <summary>The answer to a header over <see cref="MaxBytes"/> (413), whether its length was declared or not (chunked).</summary>
    public static OptionBagException TooLarge() => new(
        $"The header is larger than {MaxBytes >> 20} MiB; llmem reads headers only, so send the start of the file (the page does this), or use the CLI on the file.", 413);

    /// <summary>The text with the server's upload folder written as "upload:" (an answer never shows a server path).</summary>
    public string Scrub(string text) => text.Replace(root + Path.DirectorySeparatorChar, "upload:", StringComparison.Ordinal);

    /// <summary>The path behind a token, or null.</summary>
    public string? Find(string token) =>
        token.StartsWith("upload:", StringComparison.Ordinal) && paths.TryGetValue(token["upload:".Length..], out var path) ? path : null;

    public void Dispose() => TryDelete(root);

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
