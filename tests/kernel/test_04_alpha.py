"""alpha tracks a fixed marking fraction p (netem ... ecn marks CE on a
random fraction p of ECT(0) packets, see netlab.mark_ce).

Tolerance: |alpha/1024 - p| <= 0.1 for the median of the ss samples taken
after the first fifth of a 5 s transfer.  alpha is an EWMA (g = 1/16 for
tdctcp, 0.09 for xdctcp) of the per-window fraction F.  At p = 50 % the
window shrinks to a few packets, so F of a W-packet window has a standard
deviation up to sqrt(p(1-p)/W) = 0.35 (W = 2); the EWMA shrinks that by
sqrt(g/(2-g)) <= 0.22 to about 0.08 per sample, and the median of the
5-10 samples (each a few hundred windows apart, so independent) to about
0.035.  0.1 is about three such deviations, while an estimator that does
not decay, mis-counts F or never updates misses by 0.4 or more."""

import netlab
import pytest


@pytest.mark.parametrize("cc", netlab.CCS)
@pytest.mark.parametrize("p", [0, 10, 50, 100])
def test_alpha_converges_to_marking_fraction(lab, cc, p):
    a, b, da, _ = netlab.pair(lab, cc, cc)
    if p:
        netlab.mark_ce(a, da, p)
    ss = netlab.SsSampler(lab, a, "10.77.0.2")
    netlab.iperf(lab, a, b, "10.77.0.2", seconds=5, bitrate="20M")
    alphas = netlab.late_alphas(ss.stop(), skip=0.2)
    assert len(alphas) >= 3
    got = netlab.median(alphas) / 1024
    print(f"{cc} p={p}%: alpha median {got:.3f} over {len(alphas)} samples")
    assert abs(got - p / 100) <= 0.1
