using LlmMem.Models;

namespace LlmMem.Formats.Hub;

/// <summary>
/// A Hub id as a model: from the cache when it holds the revision, else from the Hub (and then cached); with the
/// network off, from the cache only. The model's origin says which answered and at which commit.
/// </summary>
internal static class HubResolver
{
    public static ModelSpec Resolve(HubRepoId id, ResolveOptions options)
    {
        var settings = options.Hub!;
        if (id.Revision is not null && options.Revision is not null && id.Revision != options.Revision)
        {
            throw new ModelNotFoundException($"'{id}' names revision {id.Revision} and --revision names {options.Revision}; give one.");
        }

        var revision = id.Revision ?? options.Revision ?? "main";
        var cache = new HubCache(settings.CacheFolder);
        if (!options.ForceHub || settings.Offline)
        {
            if (FromCache(id, revision, options.File, cache, settings.Offline) is { } cached)
            {
                return cached;
            }
        }

        if (settings.Offline)
        {
            throw new ModelNotFoundException($"{id.Repo}: revision '{revision}' is not in llmem's cache ({cache.Folder}) and the network is off "
                + "(--offline or HF_HUB_OFFLINE); run once online to cache it.");
        }

        using var client = new HubClient(settings);
        var sha = client.ResolveRevision(id, revision);
        var files = new HubRepoFiles(id, sha, client.ListFiles(id, sha), client, cache);
        var model = ModelResolver.ReadFiles(files, options.File, id.Repo, $"hub ({HubErrors.Endpoint(settings)}, revision {sha})");
        files.SaveToCache(revision);
        return model;
    }

    /// <summary>The model as the cache holds it, or null when it holds too little (offline: an error saying what is missing).</summary>
    private static ModelSpec? FromCache(HubRepoId id, string revision, string? file, HubCache cache, bool offline)
    {
        if (cache.Commit(id, revision) is not { } sha || cache.Files(id, sha) is not { } list)
        {
            return null;
        }

        try
        {
            return ModelResolver.ReadFiles(new HubRepoFiles(id, sha, list, client: null, cache), file, id.Repo, $"cache (revision {sha})");
        }
        catch (HubNotCachedException e) when (offline)
        {
            throw new ModelNotFoundException($"{e.Message} The network is off (--offline or HF_HUB_OFFLINE); run once online to cache what this needs.");
        }
        catch (HubNotCachedException)
        {
            return null;
        }
    }
}
