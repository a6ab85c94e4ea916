"""alpha tracks a fixed marking fraction p (netem ... ecn marks CE on a
random fraction p of ECT(0) packets, see netlab.mark_ce).

Tolerance: |alpha/1024 - p| <= 0.1 for the median of the ss samples taken
after the first fifth of a 3 s transfer.  alpha is an EWMA (g = 1/16 for
tdctcp, 0.09 for xdctcp) of the per-window fraction F.  At p = 50 % the
window shrinks to a few packets, so F of a W-packet window has a standard
deviation up to sqrt(p(1-p)/W) = 0.35 (W = 2); the EWMA shrinks that by
sqrt(g/(2-g)) <= 0.22 to about 0.08 per sample, and the median of the
5-10 samples (each a few hundred windows apart, so independent) to about
0.035.  0.1 is about three such deviations, while an estimator that does
not decay, mis-counts F or never updates misses by 0.4 or more.

Except at p = 10 %, where the upper bound is 2p + 0.02 = 0.22: there the
time-sampled alpha reads high while the fraction of packets the path
marked is right, and the kernel's own dctcp reads just as
high (measured in the VM, 5 s runs, 2026-11-23: ECE fraction 0.08-0.12;
alpha medians of kernel dctcp 0.08-0.16 at 20 Mbit/s and 0.15-0.21
unlimited, of xdctcp configured as DCTCP 0.12-0.15 and 0.15-0.22 in
alternating runs on the same path). So it is a property of DCTCP's once-
per-window estimator under this marking, not of this code (the mechanism
is not established); test_alpha_matches_kernel_dctcp_at_the_same_marking
below holds the modules to kernel dctcp there. Widening only the upper
side keeps every failure above: a stuck, undecayed or miscounting
estimator reads 0, 1 or several times p.

The marking itself is checked where it happens: the receiver's IP-layer
counters of ECT(0) and CE packets, one count per segment (about 5300 in a
run, so a standard deviation of at most 0.007; the bound is 0.03).  When
netem marked whole GSO skbs (before mark_ce set gso_max_segs 1) the
fraction ranged 0.05-0.16 at p = 10 % from run to run; now 0.09-0.10.
The sender's ECE-acknowledged fraction is printed beside it."""

import netlab
import pytest
from dctestbed.monitor import parse_counters

# alpha read from ss samples over time: in virtual time, where host load
# cannot stretch the transfers or the sampling
pytestmark = pytest.mark.virtual


@pytest.mark.parametrize("cc", netlab.CCS)
@pytest.mark.parametrize("p", [0, 10, 50, 100])
def test_alpha_converges_to_marking_fraction(lab, cc, p):
    a, b, da, _ = netlab.pair(lab, cc, cc)
    if p:
        netlab.mark_ce(a, da, p)
    before = delivered(a), received(b)
    ss = netlab.SsSampler(lab, a, "10.77.0.2")
    netlab.iperf(lab, a, b, "10.77.0.2", seconds=3, bitrate="20M")
    alphas = netlab.late_alphas(ss.stop(), skip=0.2)
    after = delivered(a), received(b)
    assert len(alphas) >= 3
    got = netlab.median(alphas) / 1024
    # what the sender was told: packets acknowledged with ECE over all delivered
    echoed = fraction(before[0], after[0])
    # what the path did: CE over ECN-capable packets at the receiver's IP layer
    marked = fraction(before[1], after[1])
    packets = after[1][0] - before[1][0]
    print(f"{cc} p={p}%: alpha median {got:.3f} over {len(alphas)} samples, "
          f"CE-marked {marked:.3f} of {packets}, ECE-acknowledged {echoed:.3f}; "
          f"samples {alphas}")
    assert packets >= 1000, "too few ECN-capable packets"
    assert abs(marked - p / 100) <= 0.03, "the marking itself is off: a testbed fault"
    upper = 2 * p / 100 + 0.02 if p == 10 else p / 100 + 0.1
    assert p / 100 - 0.1 <= got <= upper, (alphas, echoed)


def test_alpha_matches_kernel_dctcp_at_the_same_marking(lab, restore_params):
    """Differential at p = 10 %, where alpha reads above p: xdctcp configured
    as DCTCP (g = 1/16, ns = nl = 1/2) and the kernel's dctcp, alternately on
    the same marked path, read the same alpha.  The medians of REPS per-run
    medians must agree within 0.06 (per-run medians spread by about 0.02;
    measured differences of these medians: 0.008 unlimited and 0.008 at
    20 Mbit/s, the rate it runs at: in virtual time a transfer that only a
    CPU limits would never let the clock advance).  A different g, a
    window boundary off by one update or F counted in packets instead of
    bytes moves alpha by more under this marking."""
    for name, value in (("g", 64), ("ns", 512), ("nl", 512)):
        netlab.param("xdctcp", name, value)
    a, b, da, _ = netlab.pair(lab, "dctcp", "dctcp")
    netlab.mark_ce(a, da, 10)
    runs = {"dctcp": [], "xdctcp": []}
    for _ in range(REPS):
        for cc, medians in runs.items():
            netlab.sysctl("net.ipv4.tcp_congestion_control", cc, a)
            netlab.sysctl("net.ipv4.tcp_congestion_control", cc, b)
            ss = netlab.SsSampler(lab, a, "10.77.0.2")
            netlab.iperf(lab, a, b, "10.77.0.2", seconds=3, bitrate="20M")
            alphas = netlab.late_alphas(ss.stop(), skip=0.2)
            assert len(alphas) >= 3
            medians.append(netlab.median(alphas) / 1024)
    print({cc: [round(m, 3) for m in ms] for cc, ms in runs.items()})
    got = {cc: netlab.median(ms) for cc, ms in runs.items()}
    assert abs(got["xdctcp"] - got["dctcp"]) <= 0.06, got


REPS = 3


def counters(ns):
    return parse_counters(netlab.sh(["cat", "/proc/net/netstat"], ns).stdout)


def delivered(ns):
    """(TCPDelivered, TCPDeliveredCE) of namespace ns: the sender's view."""
    c = counters(ns)
    return c["TcpExtTCPDelivered"], c["TcpExtTCPDeliveredCE"]


def received(ns):
    """(ECT(0) + CE, CE) packets received by namespace ns: each segment
    counted once, whatever GRO or the ACKs did."""
    c = counters(ns)
    return c["IpExtInECT0Pkts"] + c["IpExtInCEPkts"], c["IpExtInCEPkts"]


def fraction(before, after):
    """Share of the second counter in the first between two readings."""
    return (after[1] - before[1]) / max(1, after[0] - before[0])
