"""Small statistics for the analysis: percentiles, summaries, CDFs,
Jain's fairness index and the ideal completion time of a transfer.

Pure Python (no numpy) so the numbers do not depend on a library version;
percentile() interpolates between closest ranks exactly as numpy's
default ('linear') method does.
"""

import math

SUMMARY_PERCENTILES = (("p50", 50), ("p95", 95), ("p99", 99), ("p999", 99.9))


def _sorted_percentile(xs, q):
    """Percentile q of the already sorted, non-empty list xs."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must be in [0, 100] (got {q})")
    pos = (len(xs) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def percentile(values, q):
    """The q-th percentile (q in [0, 100]) of values, interpolating linearly
    between the closest ranks: rank (n - 1) * q / 100 of the sorted values.
    ValueError on empty input or q out of range."""
    xs = sorted(values)
    if not xs:
        raise ValueError("percentile of an empty sequence")
    return _sorted_percentile(xs, q)


def summary(values):
    """count, mean, p50, p95, p99, p999 (99.9th), min and max of values as a
    dict (floats, count an int); {"count": 0} for empty input."""
    xs = sorted(values)
    if not xs:
        return {"count": 0}
    out = {"count": len(xs), "mean": math.fsum(xs) / len(xs)}
    for name, q in SUMMARY_PERCENTILES:
        out[name] = float(_sorted_percentile(xs, q))
    out["min"] = float(xs[0])
    out["max"] = float(xs[-1])
    return out


def cdf(values):
    """Empirical CDF: (sorted xs, ys) with ys[i - 1] = i / n for i in 1..n."""
    xs = sorted(values)
    n = len(xs)
    return xs, [i / n for i in range(1, n + 1)]


def jain(xs):
    """Jain's fairness index (sum x)^2 / (n * sum x^2): 1 when all shares are
    equal, 1/n when one of n takes everything.  ValueError on empty input
    and when every share is zero (the index is undefined there)."""
    xs = list(xs)
    if not xs:
        raise ValueError("Jain's index of an empty sequence")
    squares = math.fsum(x * x for x in xs)
    if squares == 0:
        raise ValueError("Jain's index is undefined when every share is zero")
    return math.fsum(xs) ** 2 / (len(xs) * squares)


def ideal_us(size_bytes, rate_mbit, base_rtt_us):
    """Ideal completion time in microseconds of size_bytes over a link of
    rate_mbit: serialisation (bits / (Mbit/s) = us) plus one base RTT."""
    if not rate_mbit > 0:
        raise ValueError(f"rate must be positive (got {rate_mbit} Mbit/s)")
    return size_bytes * 8 / rate_mbit + base_rtt_us
