"""Small statistics for the analysis: percentiles and summaries (numpy's,
'linear' method), time-weighted means and quantiles of a sampled signal,
CDFs, Jain's fairness index and the ideal completion time of a transfer
counted in the bytes the bottleneck really sends.
"""

import math

import numpy as np

SUMMARY_PERCENTILES = (("p50", 50), ("p90", 90), ("p95", 95), ("p99", 99), ("p999", 99.9))

# The fewest values a percentile is reported from: below them the p99 of n
# values is a mix of the two largest (n = 32: 0.31 x31 + 0.69 x32), and a
# bootstrap of a maximum cannot say how far it would move.
MIN_VALUES = {"p99": 100, "p999": 1000}


def reportable(name, count):
    """Whether percentile name (p50, p90, p99, p999) of count values may be
    reported."""
    return count >= MIN_VALUES.get(name, 1)


def tail_name(count):
    """The tail percentile to report of count values: p99 from 100 on, else p90."""
    return "p99" if reportable("p99", count) else "p90"

# What one full-sized segment costs on the wire of a 1500-byte MTU path
# with TCP timestamps, as HTB counts it (skb->len: the Ethernet header,
# not the preamble or FCS): 1448 payload bytes in a 1514-byte frame.
SEGMENT_PAYLOAD_BYTES = 1448
SEGMENT_OVERHEAD_BYTES = 14 + 20 + 20 + 12      # Ethernet, IPv4, TCP, timestamps


def _floats(values):
    """values (a sequence, an array or any iterable) as a float array."""
    try:
        return np.asarray(values, dtype=float)
    except TypeError:
        return np.fromiter(values, dtype=float)


def percentile(values, q):
    """The q-th percentile (q in [0, 100]) of values, numpy's default
    ('linear': rank (n - 1) * q / 100 of the sorted values, interpolated).
    ValueError on empty input or q out of range."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must be in [0, 100] (got {q})")
    xs = _floats(values)
    if xs.size == 0:
        raise ValueError("percentile of an empty sequence")
    return float(np.percentile(xs, q))


def summary(values):
    """count, mean, p50, p90, p95, p99, p999 (99.9th), min and max of values as a
    dict (floats, count an int); {"count": 0} for empty input."""
    xs = _floats(values)
    if xs.size == 0:
        return {"count": 0}
    qs = np.percentile(xs, [q for _, q in SUMMARY_PERCENTILES])
    out = {"count": int(xs.size), "mean": math.fsum(xs.tolist()) / xs.size}
    out.update({name: float(v) for (name, _), v in zip(SUMMARY_PERCENTILES, qs, strict=True)})
    out["min"] = float(xs.min())
    out["max"] = float(xs.max())
    return out


def weighted_mean(values, weights):
    """sum(v * w) / sum(w); ValueError when the weights sum to zero."""
    v, w = _floats(values), _floats(weights)
    total = float(w.sum())
    if not total > 0:
        raise ValueError("weighted mean with no weight")
    return float(np.dot(v, w) / total)


def weighted_quantile(values, weights, q):
    """The smallest value whose cumulative weight reaches q % of the total
    (the inverted-CDF quantile of the weighted sample; numpy 1.24, which
    Debian 12 ships, has no weighted percentile)."""
    if not 0 <= q <= 100:
        raise ValueError(f"quantile q must be in [0, 100] (got {q})")
    v, w = _floats(values), _floats(weights)
    order = np.argsort(v, kind="stable")
    cum = np.cumsum(w[order])
    if cum.size == 0 or not cum[-1] > 0:
        raise ValueError("weighted quantile with no weight")
    i = int(np.searchsorted(cum, q / 100 * cum[-1], side="left"))
    return float(v[order][min(i, cum.size - 1)])


def hold_weights(times):
    """Weights of a sampled signal held until the next sample: the time to
    the next sample, 0 for the last one (whose end is unknown).  Times
    must not decrease."""
    t = _floats(times)
    if t.size == 0:
        return t
    gaps = np.diff(t)
    if (gaps < 0).any():
        raise ValueError("sample times go backwards")
    return np.append(gaps, 0.0)


def paired_ratio_ci(a, b, level=0.95, resamples=10_000, seed=1):
    """(ratio, low, high): the geometric mean of a[i] / b[i] over the pairs
    and its percentile-bootstrap confidence interval at level, resampling
    the pairs (a fixed seed: the same data give the same interval).
    ValueError with fewer than two pairs or a value that is not positive."""
    x, y = _floats(a), _floats(b)
    if x.size != y.size or x.size < 2:
        raise ValueError(f"need two or more pairs (got {x.size} and {y.size} values)")
    if (x <= 0).any() or (y <= 0).any():
        raise ValueError("ratios need positive values")
    logs = np.log(x / y)
    rng = np.random.default_rng(seed)
    means = logs[rng.integers(0, logs.size, (resamples, logs.size))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(np.exp(logs.mean())), float(np.exp(low)), float(np.exp(high))


def cluster_ci(groups, statistic, level=0.95, resamples=2000, seed=1):
    """(value, low, high): statistic over all values of groups (a list of
    per-repetition lists) and its percentile-bootstrap interval, resampling
    whole repetitions (values inside a repetition are not independent).
    None when there are fewer than two non-empty groups."""
    groups = [np.asarray(g, dtype=float) for g in groups if len(g)]
    if len(groups) < 2:
        return None
    rng = np.random.default_rng(seed)
    value = statistic(np.concatenate(groups))
    draws = np.empty(resamples)
    for i in range(resamples):
        pick = rng.integers(0, len(groups), len(groups))
        draws[i] = statistic(np.concatenate([groups[j] for j in pick]))
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(value), float(low), float(high)


# _draw_percentiles works on blocks of resamples x values of at most this
# many cells (8 bytes each): memory stays bounded however many samples a
# run pooled (tcp_probe gives millions of RTT samples)
DRAW_BLOCK_CELLS = 1 << 23


def _draw_percentiles(groups, q, draws):
    """The q-th percentile (numpy's 'linear' rule) of the pooled values of
    each resample in draws (an array resamples x len(groups) of group
    indices): the values sorted once, each counted as often as its group
    was drawn, and the two order statistics around rank (n - 1) q / 100
    interpolated.  Resamples are taken DRAW_BLOCK_CELLS at a time."""
    values = np.concatenate(groups)
    label = np.concatenate([np.full(len(g), i) for i, g in enumerate(groups)])
    order = np.argsort(values, kind="stable")
    values, label = values[order], label[order]
    out = np.empty(draws.shape[0])
    step = max(1, DRAW_BLOCK_CELLS // max(values.size, 1))
    for start in range(0, draws.shape[0], step):
        block = draws[start:start + step]
        counts = np.zeros((block.shape[0], len(groups)))
        np.add.at(counts, (np.arange(block.shape[0])[:, None], block), 1)
        cum = np.cumsum(counts[:, label], axis=1)           # values at or below each, per draw
        pos = (cum[:, -1] - 1) * q / 100
        lo = np.floor(pos)
        hi = np.minimum(lo + 1, cum[:, -1] - 1)

        def kth(k, cum=cum):                                # the k-th (0-based) pooled value
            return values[np.minimum((cum <= k[:, None]).sum(axis=1), values.size - 1)]

        a, b = kth(lo), kth(hi)
        out[start:start + block.shape[0]] = a + (b - a) * (pos - lo)
    return out


def cluster_percentile_ci(groups, q, level=0.95, resamples=2000, seed=1):
    """(value, low, high): the q-th percentile (numpy's) of the pooled
    values of groups (per-repetition lists) and a percentile-bootstrap
    interval resampling whole repetitions.  None with fewer than two
    non-empty groups.  cluster_ci with a percentile, vectorised."""
    groups = [np.asarray(g, dtype=float) for g in groups if len(g)]
    if len(groups) < 2:
        return None
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(groups), (resamples, len(groups)))
    got = _draw_percentiles(groups, q, draws)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(got, [tail, 100 - tail])
    return float(np.percentile(np.concatenate(groups), q)), float(low), float(high)


def _per_draw(groups, q, draws):
    """For each row of draws (repetition indices): the q-th percentile of
    the drawn groups' pooled values, or with q None the mean of the drawn
    groups' single values (one number per repetition)."""
    if q is None:
        return np.array([g[0] for g in groups])[draws].mean(axis=1)
    return _draw_percentiles(groups, q, draws)


def paired_ci(arms, combine, q=None, level=0.95, resamples=2000, seed=1):
    """(value, low, high) of combine(*estimates), one estimate per arm,
    with a percentile-bootstrap interval that resamples repetitions: the
    same indices in every arm, since arms[i][r] and arms[j][r] ran under
    the same seed and start jitter (paired).  An arm is a list of
    per-repetition groups of values; its estimate is the q-th percentile
    of the pooled values (numpy's rule), or with q None the mean over the
    repetitions of one value each.  Repetitions missing from any arm are
    left out; None with fewer than two left.  combine works on arrays
    (one entry per resample), e.g. lambda a, b: a / b."""
    n = min(len(arm) for arm in arms)
    keep = [r for r in range(n) if all(len(arm[r]) for arm in arms)]
    if len(keep) < 2:
        return None
    groups = [[np.asarray(arm[r], dtype=float) for r in keep] for arm in arms]
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(keep), (resamples, len(keep)))
    whole = np.arange(len(keep))[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        value = combine(*[_per_draw(g, q, whole) for g in groups])[0]
        got = np.asarray(combine(*[_per_draw(g, q, draws) for g in groups]), dtype=float)
    tail = (1 - level) / 2 * 100
    low, high = np.nanpercentile(got, [tail, 100 - tail])
    return float(value), float(low), float(high)


def paired_percentile_ratio_ci(a_groups, b_groups, q, level=0.95, resamples=2000, seed=1):
    """(ratio, low, high) of the q-th percentiles of a and b over paired
    repetitions, resampling the same repetition indices on both sides.
    None with fewer than two complete pairs."""
    pairs = [(x, y) for x, y in zip(a_groups, b_groups, strict=False) if len(x) and len(y)]
    return paired_ci([[x for x, _ in pairs], [y for _, y in pairs]], np.divide, q, level,
                     resamples, seed)


def paired_cluster_ratio_ci(a_groups, b_groups, statistic, level=0.95, resamples=2000, seed=1):
    """(ratio, low, high): statistic(a) / statistic(b) over paired
    repetitions (a_groups[i] and b_groups[i] ran under the same seed), with
    a bootstrap interval that resamples repetition indices, the same ones
    for both sides.  None with fewer than two complete pairs."""
    pairs = [(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
             for x, y in zip(a_groups, b_groups, strict=False) if len(x) and len(y)]
    if len(pairs) < 2:
        return None
    rng = np.random.default_rng(seed)

    def ratio(idx):
        num = statistic(np.concatenate([pairs[j][0] for j in idx]))
        den = statistic(np.concatenate([pairs[j][1] for j in idx]))
        return num / den if den else float("nan")

    value = ratio(range(len(pairs)))
    draws = np.array([ratio(rng.integers(0, len(pairs), len(pairs))) for _ in range(resamples)])
    tail = (1 - level) / 2 * 100
    low, high = np.nanpercentile(draws, [tail, 100 - tail])
    return float(value), float(low), float(high)


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


def wire_bytes(size_bytes, payload=SEGMENT_PAYLOAD_BYTES, overhead=SEGMENT_OVERHEAD_BYTES):
    """Bytes a shaper counts for size_bytes of TCP payload: every segment
    (full-sized but the last) adds its headers."""
    if size_bytes < 0:
        raise ValueError(f"size must not be negative (got {size_bytes})")
    return size_bytes + math.ceil(size_bytes / payload) * overhead


def ideal_us(size_bytes, rate_mbit, base_rtt_us):
    """Ideal completion time in microseconds of size_bytes of payload over
    a link of rate_mbit: the serialisation of its frames (wire_bytes;
    bits / (Mbit/s) = us) plus one base RTT."""
    if not rate_mbit > 0:
        raise ValueError(f"rate must be positive (got {rate_mbit} Mbit/s)")
    return wire_bytes(size_bytes) * 8 / rate_mbit + base_rtt_us
