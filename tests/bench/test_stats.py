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


@pytest.mark.parametrize("n", [1, 2, 5, 101, 1000])
def test_percentile_agrees_with_numpy_linear(n):
    rng = random.Random(n)
    xs = [rng.expovariate(1 / 1000) for _ in range(n)]
    for q in (0, 1, 25, 50, 90, 95, 99, 99.9, 100):
        assert stats.percentile(xs, q) == pytest.approx(np.percentile(xs, q), rel=1e-12)


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


def test_ideal_us_is_serialisation_plus_base_rtt():
    assert stats.ideal_us(1500, 1000, 0) == pytest.approx(12)
    assert stats.ideal_us(100_000, 100, 200) == pytest.approx(8200)
    with pytest.raises(ValueError, match="rate"):
        stats.ideal_us(1500, 0, 100)
