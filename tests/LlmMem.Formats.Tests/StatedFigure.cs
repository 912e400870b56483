using System.Globalization;

namespace LlmMem.Formats.Tests;

/// <summary>
/// Whether an exact count agrees with a publisher's rounded figure such as "70B", "1.23B" or "124M": equal when rounded
/// or truncated to the figure's precision. Trailing zeros of a whole figure are not significant ("70B" is to the ten).
/// Publishers do both: Llama 3.1 "405B" is 405.85B truncated, Llama 2 "7B" is 6.74B rounded.
/// </summary>
internal static class StatedFigure
{
    public static bool Agrees(long count, string figure)
    {
        var unit = figure[^1] switch { 'B' => 1e9m, 'M' => 1e6m, _ => throw new ArgumentException(figure) };
        var number = figure[..^1];
        var stated = decimal.Parse(number, CultureInfo.InvariantCulture);
        decimal step;
        if (number.Contains('.'))
        {
            step = (decimal)Math.Pow(10, -(number.Length - number.IndexOf('.') - 1));
        }
        else
        {
            var trailingZeros = number.Length - number.TrimEnd('0').Length;
            step = (decimal)Math.Pow(10, Math.Min(trailingZeros, number.Length - 1));
        }

        var value = count / unit;
        var rounded = Math.Round(value / step, MidpointRounding.AwayFromZero) * step;
        var truncated = Math.Truncate(value / step) * step;
        return rounded == stated || truncated == stated;
    }
}
