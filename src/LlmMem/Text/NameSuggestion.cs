namespace LlmMem.Text;

/// <summary>"Did you mean …?" for names a user mistyped.</summary>
public static class NameSuggestion
{
    /// <summary>The candidate closest to <paramref name="typed"/>, or null when none is close enough to be a typo.</summary>
    public static string? Nearest(string typed, IEnumerable<string> candidates)
    {
        var needle = typed.Trim().ToLowerInvariant();
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(needle, candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        // A third of the word may be wrong, at least two letters: 'bf61' → 'bf16', 'adamw8' → 'adamw-8bit' is too far.
        var allowed = Math.Max(2, needle.Length / 3);
        if (bestDistance <= allowed)
        {
            return best;
        }

        // A name typed without its prefix or suffix ('m2-ultra-192gb' for 'apple-m2-ultra-192gb'): the shortest name holding it.
        return needle.Length >= 4
            ? candidates.Where(c => c.Contains(needle, StringComparison.OrdinalIgnoreCase)).OrderBy(c => c.Length).FirstOrDefault()
            : null;
    }

    /// <summary>"Unknown dtype 'bf61'. Valid: fp32, fp16, bf16. Did you mean 'bf16'?"</summary>
    public static string UnknownMessage(string what, string typed, IReadOnlyCollection<string> valid)
    {
        var message = $"Unknown {what} '{typed}'. Valid: {string.Join(", ", valid)}.";
        var nearest = Nearest(typed, valid);
        return nearest is null ? message : $"{message} Did you mean '{nearest}'?";
    }

    /// <summary>
    /// The item whose name or one of whose aliases matches <paramref name="text"/>, ignoring case, '-' versus '_' and
    /// spaces; otherwise false and an "Unknown …" message that lists the names and suggests the nearest.
    /// </summary>
    public static bool TryFind<T>(string? text, IReadOnlyList<T> items, Func<T, string> name, Func<T, IEnumerable<string>> aliases,
        string what, out T found, out string error)
    {
        var key = Key(text ?? "");
        foreach (var item in items)
        {
            if (Key(name(item)) == key || aliases(item).Any(a => Key(a) == key))
            {
                (found, error) = (item, "");
                return true;
            }
        }

        found = items[0];
        error = UnknownMessage(what, text ?? "", items.Select(name).ToArray());
        return false;
    }

    /// <summary>How names are compared: "Q4-K-M", "q4_k_m" and "q4 k m" are the same name.</summary>
    public static string Key(string text) =>
        text.Trim().ToLowerInvariant().Replace('-', '_').Replace(" ", "", StringComparison.Ordinal);

    /// <summary>Optimal string alignment distance: Levenshtein plus adjacent transpositions ('bf61' ↔ 'bf16' is one edit).</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
