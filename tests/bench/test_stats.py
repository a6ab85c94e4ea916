"""Percentiles, summaries, CDFs, Jain's index and ideal completion times."""

import random

import numpy as np
import pytest
from dctestbed import stats


def test_percentile_interpolates_between_closest_ranks():
    assert stats.percentile([4, 1, 3, 2], 50) == 2.5
    assert stats.percentile([10, 20], 25) == 12.5
    assert stats.percentile([10, 20, 30], 0) == 10
    assert stats.percentile([10, 20, 30], 100) == 30
    assert stats.percentile([7], 99) == 7


def test_percentile_refuses_empty_input_and_bad_q():
    with pytest.raises(ValueError):
        stats.percentile([], 50)
    with pytest.raises(ValueError):
        stats.percentile([1, 2], 101)
    with pytest.raises(ValueError):
        stats.percentile([1, 2], -1)


def test_summary():
    xs = list(range(1, 1001))          # 1..1000
    random.Random(1).shuffle(xs)
    s = stats.summary(xs)
    assert s["count"] == 1000 and isinstance(s["count"], int)
    assert s["mean"] == 500.5
    assert s["min"] == 1 and s["max"] == 1000
    assert s["p50"] == 500.5
    assert s["p95"] == pytest.approx(950.05)
    assert s["p99"] == pytest.approx(990.01)
    assert s["p999"] == pytest.approx(999.001)
    assert stats.summary([]) == {"count": 0}


def test_cdf():
    xs, ys = stats.cdf([3, 1, 2, 2])
    assert xs == [1, 2, 2, 3]
    assert ys == [0.25, 0.5, 0.75, 1.0]
    assert stats.cdf([]) == ([], [])


def test_jain():
    assert stats.jain([5, 5, 5]) == pytest.approx(1.0)
    assert stats.jain([10, 0, 0, 0]) == pytest.approx(0.25)
    assert stats.jain([1, 2, 3]) == pytest.approx(36 / 42)
    with pytest.raises(ValueError):
        stats.jain([])
    with pytest.raises(ValueError):
        stats.jain([0, 0])


def test_wire_bytes_add_each_segments_headers():
    assert stats.wire_bytes(0) == 0
    assert stats.wire_bytes(1) == 1 + 66
    assert stats.wire_bytes(1448) == 1514
    assert stats.wire_bytes(1449) == 1449 + 2 * 66
    # the bottleneck's byte counter: 20.92 MB dequeued per 20 MB of responses
    assert stats.wire_bytes(20_000_000) == 20_000_000 + 13_813 * 66
    with pytest.raises(ValueError):
        stats.wire_bytes(-1)


def test_ideal_us_is_frame_serialisation_plus_base_rtt():
    assert stats.ideal_us(1448, 1000, 0) == pytest.approx(1514 * 8 / 1000)
    assert stats.ideal_us(100_000, 100, 200) == pytest.approx((100_000 + 70 * 66) * 8 / 100 + 200)
    # 1 MB at 20 Mbit/s: 691 frames, 418.2 ms, 4.6 % above the payload's 400 ms
    assert stats.ideal_us(1_000_000, 20, 0) == pytest.approx((1_000_000 + 691 * 66) * 8 / 20)
    with pytest.raises(ValueError, match="rate"):
        stats.ideal_us(1500, 0, 100)


def test_hold_weights_are_the_time_to_the_next_sample():
    assert stats.hold_weights([0.0, 0.001, 0.011, 0.012]).tolist() == pytest.approx([0.001, 0.01, 0.001, 0])
    assert stats.hold_weights([]).size == 0
    with pytest.raises(ValueError, match="backwards"):
        stats.hold_weights([1.0, 0.5])


def test_time_weighted_mean_counts_a_long_gap_for_its_length():
    # 10 samples of an empty queue 1 ms apart, then one of 50 packets held 10 ms
    t = [i * 0.001 for i in range(10)] + [0.010, 0.020]
    q = [0] * 10 + [50, 0]
    w = stats.hold_weights(t)
    assert stats.weighted_mean(q, w) == pytest.approx(50 * 0.010 / 0.020)
    assert sum(q) / len(q) == pytest.approx(50 / 12)         # what a sample mean says
    with pytest.raises(ValueError):
        stats.weighted_mean([1, 2], [0, 0])


def test_weighted_quantile_is_the_inverted_cdf():
    assert stats.weighted_quantile([1, 2, 3], [1, 1, 1], 50) == 2
    assert stats.weighted_quantile([3, 1, 2], [1, 1, 1], 100) == 3
    assert stats.weighted_quantile([1, 2, 3], [1, 1, 1], 0) == 1
    assert stats.weighted_quantile([0, 50], [0.99, 0.01], 99) == 0
    assert stats.weighted_quantile([0, 50], [0.98, 0.02], 99) == 50
    with pytest.raises(ValueError):
        stats.weighted_quantile([1], [0], 50)
    with pytest.raises(ValueError):
        stats.weighted_quantile([1], [1], 101)


def test_paired_ratio_ci():
    a, b = [110, 121, 99, 132, 105, 118], [100, 110, 90, 120, 100, 105]
    r, lo, hi = stats.paired_ratio_ci(a, b)
    ratios = [x / y for x, y in zip(a, b, strict=True)]
    geo = 1.0
    for q in ratios:
        geo *= q
    assert r == pytest.approx(geo ** (1 / len(ratios)))
    assert min(ratios) <= lo < r < hi <= max(ratios)
    assert stats.paired_ratio_ci(a, b) == (r, lo, hi)           # the same data, the same interval
    same = stats.paired_ratio_ci([5, 7, 9], [5, 7, 9])
    assert same == pytest.approx((1.0, 1.0, 1.0))
    # a difference that changes sign between pairs: the interval holds 1
    _, lo, hi = stats.paired_ratio_ci([90, 112, 95, 108], [100, 100, 100, 100])
    assert lo < 1 < hi
    with pytest.raises(ValueError):
        stats.paired_ratio_ci([1], [1])
    with pytest.raises(ValueError):
        stats.paired_ratio_ci([1, 0], [1, 1])


def test_cluster_ci_resamples_repetitions():
    import numpy as np
    reps = [[10, 11, 12], [20, 21, 22], [30, 31, 32]]
    value, lo, hi = stats.cluster_ci(reps, lambda x: float(np.percentile(x, 50)))
    assert value == 21
    assert 11 <= lo < value < hi <= 31
    assert stats.cluster_ci(reps, np.median) == (value, lo, hi)         # seeded
    tight = stats.cluster_ci([[5, 5], [5, 5], [5, 5]], np.median)
    assert tight == (5.0, 5.0, 5.0)
    assert stats.cluster_ci([[1, 2]], np.median) is None


def test_paired_cluster_ratio_ci():
    import numpy as np
    base = [[10, 12], [20, 22], [30, 33], [40, 41], [50, 52]]
    faster = [[x * 0.8 for x in r] for r in base]          # every repetition 20 % lower
    r, lo, hi = stats.paired_cluster_ratio_ci(faster, base, np.median)
    assert r == pytest.approx(0.8) and lo == pytest.approx(0.8) and hi == pytest.approx(0.8)
    noisy = [[x * f for x in rr] for rr, f in zip(base, (0.7, 1.3, 0.8, 1.2, 1.0), strict=True)]
    r, lo, hi = stats.paired_cluster_ratio_ci(noisy, base, np.median)
    assert lo < 1 < hi
    assert stats.paired_cluster_ratio_ci([[1]], [[1]], np.median) is None


def test_percentile_cis_agree_with_the_generic_bootstrap():
    import numpy as np
    rng = np.random.default_rng(7)
    reps = [list(rng.exponential(10, 9) + 8) for _ in range(10)]
    other = [[x * 1.1 for x in r] for r in reps]
    for q in (50, 99):
        fast = stats.cluster_percentile_ci(reps, q, resamples=4000)
        slow = stats.cluster_ci(reps, lambda x, q=q: float(np.percentile(x, q)), resamples=4000)
        assert fast[0] == pytest.approx(slow[0])
        # the same rule on every draw: the same distribution of draws, other random numbers
        assert fast[1] == pytest.approx(slow[1], rel=0.05) and fast[2] == pytest.approx(slow[2], rel=0.05)
        assert fast[1] == pytest.approx(slow[1], rel=0.1) and fast[2] == pytest.approx(slow[2], rel=0.1)
        r, lo, hi = stats.paired_percentile_ratio_ci(other, reps, q)
        assert r == pytest.approx(1.1) and lo == pytest.approx(1.1) and hi == pytest.approx(1.1)
    assert stats.cluster_percentile_ci([[1, 2]], 50) is None


def test_draw_percentiles_match_numpy_on_each_draw():
    import numpy as np
    rng = np.random.default_rng(3)
    groups = [rng.exponential(5, int(n)) for n in rng.integers(1, 12, 8)]
    draws = rng.integers(0, len(groups), (50, len(groups)))
    for q in (0, 1, 50, 95, 99, 100):
        got = stats._draw_percentiles(groups, q, draws)
        want = [np.percentile(np.concatenate([groups[j] for j in d]), q) for d in draws]
        assert got == pytest.approx(want)


def test_percentile_draws_in_blocks_give_the_same_intervals(monkeypatch):
    """Bounded memory (tcp_probe pools millions of samples): resamples
    taken a few at a time give exactly what one block gives."""
    rng = np.random.default_rng(3)
    reps = [rng.exponential(10, 200) for _ in range(6)]
    whole = stats.cluster_percentile_ci(reps, 99)
    monkeypatch.setattr(stats, "DRAW_BLOCK_CELLS", 1000)      # 5 resamples per block
    assert stats.cluster_percentile_ci(reps, 99) == whole
