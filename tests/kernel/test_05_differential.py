"""Differential test against the kernel's own dctcp: xdctcp configured as
DCTCP (g = 1/16, ns = nl = 1/2) and dctcp, alternately, through the same
HTB 10 Mbit/s + RED(K = 20) bottleneck, repeated.  Medians over the repetitions must
agree: throughput within 10 %, alpha within 0.1 (102/1024), mean queue
within a factor of 1.5.  Under software emulation a single 3 s run varies
by several percent in throughput and by tens of percent in queue, and
alpha moves with it, so the medians of several alternating runs are
compared; an alpha estimator or backoff that differed from DCTCP's by a
factor (e.g. g = 1 or a full-alpha cut) moves alpha or the queue well
beyond these bounds."""

import statistics

import netlab
import pytest

# goodput through the emulated path: in virtual time, where load cannot move it
pytestmark = pytest.mark.virtual

RATE_MBIT, K, LIMIT, REPS, SECONDS = 10, 20, 100, 3, 3


def one_run(lab, a, b, r, rb, cc):
    netlab.sysctl("net.ipv4.tcp_congestion_control", cc, a)
    netlab.sysctl("net.ipv4.tcp_congestion_control", cc, b)
    ss = netlab.SsSampler(lab, a, "10.77.2.2", period=0.2)
    q = netlab.QueueSampler(r, rb, period=0.05)
    q.start()
    result = netlab.iperf(lab, a, b, "10.77.2.2", seconds=SECONDS, streams=2)
    queue = q.stop()
    alphas = netlab.late_alphas(ss.stop())
    return {
        "goodput": netlab.goodput_mbit(result),
        "alpha": netlab.median(alphas),
        "queue": statistics.fmean(queue[len(queue) // 3:]) if queue else float("nan"),
    }


def test_xdctcp_as_dctcp_matches_kernel_dctcp(lab, restore_params):
    for name, value in (("g", 64), ("ns", 512), ("nl", 512)):
        netlab.param("xdctcp", name, value)
    a, r, b, rb = netlab.dumbbell(lab)
    netlab.red_bottleneck(r, rb, RATE_MBIT, K, LIMIT)
    runs = {"xdctcp": [], "dctcp": []}
    for _ in range(REPS):
        for cc in runs:
            runs[cc].append(one_run(lab, a, b, r, rb, cc))
    med = {cc: {k: netlab.median([x[k] for x in rs]) for k in ("goodput", "alpha", "queue")}
           for cc, rs in runs.items()}
    for cc, rs in runs.items():
        print(f"{cc}: " + "; ".join(f"{x['goodput']:.1f} Mbit/s alpha {x['alpha']:.0f} "
                                   f"queue {x['queue']:.1f}" for x in rs))
    x, d = med["xdctcp"], med["dctcp"]
    if d["goodput"] < 0.5 * RATE_MBIT:
        pytest.skip(f"invalid measurement: the emulated path carried {d['goodput']:.1f} of "
                    f"{RATE_MBIT} Mbit/s (is the machine loaded?)")
    assert abs(x["goodput"] / d["goodput"] - 1) <= 0.10, med
    assert abs(x["alpha"] - d["alpha"]) <= 102, med
    assert d["queue"] > 0 and 1 / 1.5 <= x["queue"] / d["queue"] <= 1.5, med
