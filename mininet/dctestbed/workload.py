"""Flow-size workloads: the DCTCP web-search size distribution, sampling
from it, and Poisson flow arrivals at a given offered load.

A distribution is a sequence of (bytes, cumulative fraction) points; the
CDF is linear between consecutive points (so sizes are uniform inside a
segment).  If the first fraction is above zero, that much probability sits
exactly at the first size.
"""

import bisect
from itertools import pairwise

# DCTCP paper (Alizadeh et al., SIGCOMM 2010), web-search background flows.
WEB_SEARCH_CDF = (
    (0, 0.0),
    (10_000, 0.15),
    (20_000, 0.20),
    (30_000, 0.30),
    (50_000, 0.40),
    (80_000, 0.53),
    (200_000, 0.60),
    (1_000_000, 0.70),
    (2_000_000, 0.80),
    (5_000_000, 0.90),
    (10_000_000, 0.97),
    (30_000_000, 1.00),
)

# The fat-tree experiment's probe flows, one every 1.5 s in this order, for
# completion time by size (the thesis' Figure 4-4 sizes).  Web-search flows
# are labelled apart ("web"); runs made before that labelled both "flow",
# and a flow of exactly one of these sizes was a probe: a web-search size
# is drawn from a continuous segment and rounded, so it equals one of them
# with a probability below 1e-6.
FATTREE_PROBE_SIZES = (2_000, 50_000, 1_000_000, 10_000_000)


def validate_cdf(cdf):
    """ValueError unless cdf is at least two (bytes, fraction) points with
    sizes non-negative and strictly increasing, fractions in [0, 1] and
    non-decreasing, and the last fraction 1."""
    if len(cdf) < 2:
        raise ValueError("a size CDF needs at least two points")
    prev_size, prev_frac = None, 0.0
    for size, frac in cdf:
        if size < 0 or not 0 <= frac <= 1:
            raise ValueError(f"bad CDF point ({size}, {frac}): sizes >= 0, fractions in [0, 1]")
        if prev_size is not None and size <= prev_size:
            raise ValueError(f"CDF sizes must increase ({prev_size} then {size})")
        if frac < prev_frac:
            raise ValueError(f"CDF fractions must not decrease ({prev_frac} then {frac})")
        prev_size, prev_frac = size, frac
    if abs(prev_frac - 1) > 1e-9:
        raise ValueError(f"the last CDF fraction must be 1 (got {prev_frac})")


def sample_size(rng, cdf=WEB_SEARCH_CDF):
    """One flow size in bytes (an int >= 1) drawn from cdf by inverse-transform
    sampling with rng (a random.Random).  cdf is assumed valid."""
    fracs = [f for _, f in cdf]
    u = rng.random()
    i = bisect.bisect_right(fracs, u)       # fracs[i - 1] <= u < fracs[i]
    if i == 0:
        size = cdf[0][0]
    else:
        (a, fa), (b, fb) = cdf[i - 1], cdf[i]
        size = a + (u - fa) / (fb - fa) * (b - a)
    return max(1, round(size))


def mean_size(cdf=WEB_SEARCH_CDF):
    """Mean flow size in bytes of the piecewise-linear distribution: the
    sum over segments of p_i * (a + b) / 2, plus any atom at the first size."""
    total = cdf[0][0] * cdf[0][1]
    for (a, fa), (b, fb) in pairwise(cdf):
        total += (fb - fa) * (a + b) / 2
    return total


def poisson_flows(rng, load, rate_mbit, duration_s, cdf=WEB_SEARCH_CDF):
    """Flows offering `load` (a fraction of rate_mbit) for duration_s seconds:
    a sorted list of (start_s, size_bytes) with exponential inter-arrival
    times at rate load * rate_mbit * 1e6 / (8 * mean_size) per second and
    sizes drawn from cdf.  Every start_s is below duration_s."""
    if not 0 < load <= 1:
        raise ValueError(f"load must be in (0, 1] (got {load})")
    if not rate_mbit > 0:
        raise ValueError(f"rate_mbit must be positive (got {rate_mbit})")
    if not duration_s > 0:
        raise ValueError(f"duration_s must be positive (got {duration_s})")
    validate_cdf(cdf)
    lam = load * rate_mbit * 1e6 / (8 * mean_size(cdf))
    flows, t = [], rng.expovariate(lam)
    while t < duration_s:
        flows.append((t, sample_size(rng, cdf)))
        t += rng.expovariate(lam)
    return flows
