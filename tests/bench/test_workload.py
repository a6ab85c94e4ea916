"""Web-search flow sizes and Poisson arrivals."""

import bisect
import random

import pytest
from dctestbed import workload
from dctestbed.workload import WEB_SEARCH_CDF

N = 200_000


@pytest.fixture(scope="module")
def samples():
    rng = random.Random(42)
    return [workload.sample_size(rng) for _ in range(N)]


def test_web_search_table_is_valid_and_mean_is_segment_midpoints():
    workload.validate_cdf(WEB_SEARCH_CDF)
    by_hand = (5e3 * .15 + 15e3 * .05 + 25e3 * .10 + 40e3 * .10 + 65e3 * .13 + 140e3 * .07
               + 600e3 * .10 + 1.5e6 * .10 + 3.5e6 * .10 + 7.5e6 * .07 + 20e6 * .03)
    assert workload.mean_size() == pytest.approx(by_hand)
    assert workload.mean_size(((0, 0), (100, 1))) == pytest.approx(50)


def test_sample_mean_matches_the_analytical_mean(samples):
    mean = sum(samples) / len(samples)
    assert mean == pytest.approx(workload.mean_size(), rel=0.02)


def test_samples_are_ints_within_the_table(samples):
    assert all(isinstance(s, int) for s in samples)
    assert min(samples) >= 1
    assert max(samples) <= 30e6


def test_empirical_cdf_matches_the_table(samples):
    ordered = sorted(samples)
    for size, frac in WEB_SEARCH_CDF:
        assert bisect.bisect_right(ordered, size) / N == pytest.approx(frac, abs=0.01), size


def test_sizes_are_uniform_inside_a_segment():
    rng = random.Random(3)
    xs = [workload.sample_size(rng, ((1000, 0), (2000, 1))) for _ in range(20_000)]
    assert min(xs) >= 1000 and max(xs) <= 2000
    assert sum(x < 1250 for x in xs) / len(xs) == pytest.approx(0.25, abs=0.02)


def test_an_initial_fraction_is_an_atom_at_the_first_size():
    cdf = ((100, 0.5), (200, 1.0))
    workload.validate_cdf(cdf)
    rng = random.Random(5)
    xs = [workload.sample_size(rng, cdf) for _ in range(20_000)]
    assert sum(x == 100 for x in xs) / len(xs) == pytest.approx(0.5, abs=0.02)
    assert workload.mean_size(cdf) == pytest.approx(0.5 * 100 + 0.5 * 150)


@pytest.mark.parametrize("cdf", [
    ((0, 0), (100, 0.5), (50, 1.0)),        # sizes go back
    ((0, 0), (100, 0.6), (200, 0.5), (300, 1.0)),   # fraction goes back
    ((0, 0), (100, 0.9)),                   # never reaches 1
    ((0, 0), (100, 1.2)),                   # beyond 1
    ((0, 1.0),),                            # a single point
])
def test_validate_cdf_refuses_bad_tables(cdf):
    with pytest.raises(ValueError):
        workload.validate_cdf(cdf)


def test_poisson_arrivals_offer_the_load():
    load, rate, duration = 0.5, 1000, 1000
    flows = workload.poisson_flows(random.Random(7), load, rate, duration)
    lam = load * rate * 1e6 / (8 * workload.mean_size())
    assert len(flows) == pytest.approx(lam * duration, rel=0.05)
    starts = [t for t, _ in flows]
    assert starts == sorted(starts)
    assert 0 <= starts[0] and starts[-1] < duration
    assert all(1 <= s <= 30e6 for _, s in flows)
    # the offered bytes are close to load * rate * duration
    offered = sum(s for _, s in flows) * 8 / (rate * 1e6 * duration)
    assert offered == pytest.approx(load, rel=0.1)


def test_poisson_arrivals_are_reproducible():
    a = workload.poisson_flows(random.Random(1), 0.3, 100, 50)
    b = workload.poisson_flows(random.Random(1), 0.3, 100, 50)
    assert a == b and a


@pytest.mark.parametrize("kw, word", [
    (dict(load=0, rate_mbit=100, duration_s=10), "load"),
    (dict(load=1.5, rate_mbit=100, duration_s=10), "load"),
    (dict(load=-0.1, rate_mbit=100, duration_s=10), "load"),
    (dict(load=0.5, rate_mbit=0, duration_s=10), "rate"),
    (dict(load=0.5, rate_mbit=100, duration_s=0), "duration"),
])
def test_poisson_refuses_bad_options_naming_them(kw, word):
    with pytest.raises(ValueError, match=word):
        workload.poisson_flows(random.Random(0), **kw)
