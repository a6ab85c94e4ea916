"""alpha tracks a fixed marking fraction p (netem ... ecn marks CE on a
random fraction p of ECT(0) packets, see netlab.mark_ce).

Tolerance: |alpha/1024 - p| <= 0.08 for the median of ss samples taken
over the second half of a 4 s transfer.  alpha is an EWMA (g = 1/16 for
tdctcp, 0.09 for xdctcp) of the per-window fraction F; for windows of
W >= 10 packets F has a standard deviation of at most sqrt(p(1-p)/W) <=
0.16, which the EWMA shrinks by sqrt(g/(2-g)) <= 0.22 to about 0.035: 0.08
is more than two such deviations, while a broken estimator (wrong gain,
wrong F, no decay) misses by far more."""

import netlab
import pytest


@pytest.mark.parametrize("cc", netlab.CCS)
@pytest.mark.parametrize("p", [0, 10, 50, 100])
def test_alpha_converges_to_marking_fraction(lab, cc, p):
    a, b, da, _ = netlab.pair(lab, cc, cc)
    if p:
        netlab.mark_ce(a, da, p)
    ss = netlab.SsSampler(lab, a, "10.77.0.2")
    netlab.iperf(lab, a, b, "10.77.0.2", seconds=4, bitrate="20M")
    alphas = netlab.late_alphas(ss.stop())
    assert len(alphas) >= 3
    got = netlab.median(alphas) / 1024
    print(f"{cc} p={p}%: alpha median {got:.3f} over {len(alphas)} samples")
    assert abs(got - p / 100) <= 0.08
