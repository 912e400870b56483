using LlmMem.Units;

namespace LlmMem.Estimates;

/// <summary>
/// An upper bound on decode speed: generating a token reads every weight the token touches and the KV cache of each
/// sequence once, so no GPU produces tokens faster than its memory bandwidth allows. Compute, kernel launches and
/// the host side are ignored: a bound, not a prediction.
/// </summary>
/// <param name="TokensPerSecond">Tokens per second summed over the sequences decoded together.</param>
/// <param name="BytesPerStep">Bytes one device reads per decode step (all sequences).</param>
/// <param name="Sequences">Sequences decoded in one step.</param>
/// <param name="BandwidthGBs">The device's memory bandwidth, GB/s (10⁹ bytes per second), as its vendor states it.</param>
/// <param name="Formula">How the bound was computed, with the numbers.</param>
public sealed record DecodeBound(double TokensPerSecond, ByteSize BytesPerStep, long Sequences, double BandwidthGBs, string Device, string Formula);
