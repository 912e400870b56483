using System.Globalization;

namespace LlmMem.Formats;

/// <summary>The files at the top level of a local folder.</summary>
public sealed class LocalFolderFiles(string folder) : IModelFiles
{
    private IReadOnlyList<string>? names;

    public string Folder { get; } = folder;

    /// <summary>The folder holding <paramref name="path"/>, and the file's name in it.</summary>
    public static (LocalFolderFiles Files, string Name) Of(string path) =>
        (new LocalFolderFiles(Path.GetDirectoryName(path) ?? ""), Path.GetFileName(path));

    /// <summary>The files at the top level; none when the folder does not exist (the file asked for is then reported missing).</summary>
    public IReadOnlyList<string> Names => names ??= Directory.Exists(Folder.Length == 0 ? "." : Folder)
        ? [.. Directory.EnumerateFiles(Folder.Length == 0 ? "." : Folder).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)]
        : [];

    public string Label(string name) => Path.Combine(Folder, name);

    public bool Exists(string name) => File.Exists(Label(name));

    public long Length(string name) => new FileInfo(Label(name)).Length;

    public byte[] ReadAll(string name, long limit, string what)
    {
        var length = Length(name);
        return length > limit
            ? throw new ModelFormatException(Label(name), string.Create(CultureInfo.InvariantCulture, $"{length:N0} bytes is too large for {what} (the limit is {limit:N0})."))
            : File.ReadAllBytes(Label(name));
    }

    public Stream OpenRead(string name) =>
        new FileStream(Label(name), new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 0, Options = FileOptions.RandomAccess });
}
