namespace LlmMem.Formats;

/// <summary>
/// The files of one model, wherever they are: a local folder, or a Hub repository at one revision. The readers take
/// this instead of paths, so a folder on disk and a repository over HTTP are read by the same code, header bytes only.
/// </summary>
/// <remarks>
/// Names are relative and use '/' between folders (the Hub's own spelling); a local folder lists its top level only.
/// </remarks>
public interface IModelFiles
{
    /// <summary>Every file's name, sorted ordinally.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>What messages and tensors call the file: a local path, or "org/name/file" for the Hub.</summary>
    string Label(string name);

    bool Exists(string name);

    /// <summary>The file's length in bytes.</summary>
    long Length(string name);

    /// <summary>A small file whole (a config.json, an index), refused before reading when longer than <paramref name="limit"/>.</summary>
    /// <param name="what">What the file is, for the message: "a config.json".</param>
    /// <exception cref="ModelFormatException">The file is longer than the limit.</exception>
    byte[] ReadAll(string name, long limit, string what);

    /// <summary>The file as a readable, seekable stream whose length is the file's; only the bytes read are fetched.</summary>
    Stream OpenRead(string name);
}
