namespace LlmMem.Formats.Hub;

/// <summary>A file of a repository at one revision, as the tree API lists it: its path ('/' between folders) and length.</summary>
public sealed record HubFile(string Path, long Size);
