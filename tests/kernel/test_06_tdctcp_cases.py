"""tdctcp's per-case counters move the way the conditions dictate, and the
trace event fires once per decision."""

import re
import time
from pathlib import Path

import netlab
import pytest

TRACE = Path("/sys/kernel/tracing")


def decisions(run):
    """Run run() with the counters reset; return the per-case deltas."""
    netlab.reset_case_counts()
    run()
    counts = netlab.case_counts()
    print("case counts:", counts)
    return counts


T_LOW_US = 5000            # the module's default t_low_us
T_HIGH_US = 50000          # the module's default t_high_us


def trace_decisions(text):
    """(case, rtt_us) of every tdctcp_decision line of a trace."""
    out = []
    for ln in text.split("\n"):
        if "tdctcp_decision:" not in ln:
            continue
        fields = dict(f.split("=", 1) for f in ln.split() if "=" in f)
        out.append((int(fields["case"]), int(fields["rtt_us"])))
    return out


def test_no_marking_low_rtt_is_cases_1_and_3(lab):
    """Most light-alpha decisions are (1)/(3) (under emulation a loaded veth
    sometimes holds the RTT above T_low = 5 ms, which gives (4)); heavy
    ones come only from alpha's start at 1 (about 33 windows at g = 1/16
    before alpha < 1/8).  A veth pair has no 50 ms queue, but a stalled
    QEMU vCPU can stretch one RTT sample past T_high (CI saw one in 70
    decisions once): every decision must match the sample it was made on
    -- (2)/(6) exactly when rtt_us > T_high -- and such samples must stay
    rare."""
    a, b, _, _ = netlab.pair(lab, "tdctcp", "tdctcp")
    (TRACE / "trace").write_text("")
    (TRACE / "events/tdctcp/enable").write_text("1")
    try:
        c = decisions(lambda: netlab.iperf(lab, a, b, "10.77.0.2", seconds=3, bitrate="100M"))
    finally:
        (TRACE / "events/tdctcp/enable").write_text("0")
    total = sum(c.values())
    light = c[1] + c[2] + c[3] + c[4]
    assert light >= 30
    assert c[1] + c[3] > c[2] + c[4]
    events = trace_decisions((TRACE / "trace").read_text())
    print(f"{len(events)} trace events, {total} decisions")
    assert len(events) == total                 # one event per decision
    for case, rtt_us in events:
        assert (case in (2, 6)) == (rtt_us > T_HIGH_US), (case, rtt_us)
    stalled = sum(1 for _, rtt_us in events if rtt_us > T_HIGH_US)
    assert stalled <= max(2, total // 50), f"{stalled} of {total} samples above T_high"


def test_heavy_marking_is_cases_5_to_8(lab):
    a, r, b, rb = netlab.dumbbell(lab, "tdctcp")
    netlab.red_bottleneck(r, rb, 20, 2, 100)
    c = decisions(lambda: netlab.iperf(lab, a, b, "10.77.2.2", seconds=3, streams=4))
    total = sum(c.values())
    assert total > 100
    assert c[5] + c[6] + c[7] + c[8] >= 0.5 * total


def test_delay_above_t_high_is_cases_2_or_6(lab):
    a, b, _, db = netlab.pair(lab, "tdctcp", "tdctcp")
    # 60 ms on the ACK path, away from any bottleneck: RTT > T_high (50 ms)
    netlab.sh(["tc", "qdisc", "add", "dev", db, "root", "netem", "delay", "60ms"], b)
    c = decisions(lambda: netlab.iperf(lab, a, b, "10.77.0.2", seconds=2, bitrate="10M"))
    total = sum(c.values())
    assert total >= 20
    assert c[2] + c[6] >= 0.8 * total


def test_auto_thresholds_judge_the_queue_not_the_base_rtt(lab):
    """The same 60 ms path, fixed thresholds then auto_thresholds=1: a
    constant delay is base RTT, not queue, so the share of (2)/(6) falls to
    at most half of what the fixed T_high gives.  (It does not fall to zero:
    delayed ACKs stretch some RTT samples, which the own-queue estimate
    reads as queueing.)"""
    a, b, _, db = netlab.pair(lab, "tdctcp", "tdctcp")
    netlab.sh(["tc", "qdisc", "add", "dev", db, "root", "netem", "delay", "60ms"], b)

    def slow_share():
        c = decisions(lambda: netlab.iperf(lab, a, b, "10.77.0.2", seconds=2, bitrate="10M"))
        total = sum(c.values())
        assert total >= 20
        return (c[2] + c[6]) / total

    fixed = slow_share()
    netlab.param("tdctcp", "auto_thresholds", 1)
    try:
        auto = slow_share()
    finally:
        netlab.param("tdctcp", "auto_thresholds", 0)
    print(f"share of (2)/(6): fixed {fixed:.2f}, auto {auto:.2f}")
    assert fixed >= 0.8
    assert auto <= 0.5 * fixed


def ramp(ns, dev, delays_ms, step_s):
    """netem delay on dev through delays_ms, one value every step_s."""
    for ms in delays_ms:
        netlab.sh(["tc", "qdisc", "change", "dev", dev, "root", "netem", "delay", f"{ms}ms"], ns)
        time.sleep(step_s)


@pytest.mark.virtual
def test_the_gradient_decides_between_t_low_and_t_high(lab):
    """RTTs that cross T_low (5 ms): below it (1), above it the RTT's
    gradient decides, (4) while it rises, (3) while it falls.  The delay
    on the ACK path stays at 1 ms, climbs to 25 ms in 1 ms steps every
    50 ms, holds, then falls back to 6 ms; no marking, so alpha decays
    from its initial 1 and the light column (1)-(4) decides.  Markers
    written into the trace between the phases place each decision in one;
    the first SETTLE decisions of a phase are left out (the RTT lags the
    delay by a round trip and the EWMA by a few windows)."""
    a, b, _, db = netlab.pair(lab, "tdctcp", "tdctcp")
    netlab.sh(["tc", "qdisc", "add", "dev", db, "root", "netem", "delay", "1ms"], b)
    marker = TRACE / "trace_marker"

    def schedule(t0):
        time.sleep(1.0)                 # warm up at 1 ms: alpha decays below 1/8
        marker.write_text("phase=low\n")
        time.sleep(0.5)
        marker.write_text("phase=rising\n")
        ramp(b, db, range(2, 26), 0.05)
        marker.write_text("phase=hold\n")
        time.sleep(0.6)
        marker.write_text("phase=falling\n")
        ramp(b, db, range(24, 5, -1), 0.05)
        marker.write_text("phase=end\n")

    (TRACE / "trace").write_text("")
    (TRACE / "events/tdctcp/enable").write_text("1")
    try:
        netlab.iperf(lab, a, b, "10.77.0.2", seconds=5, bitrate="20M", during=schedule)
    finally:
        (TRACE / "events/tdctcp/enable").write_text("0")
    phases, phase = {}, "warm-up"
    for ln in (TRACE / "trace").read_text().split("\n"):
        m = re.search(r"tracing_mark_write: phase=(\w+)", ln)
        if m:
            phase = m.group(1)
        elif "tdctcp_decision:" in ln:
            fields = dict(f.split("=", 1) for f in ln.split() if "=" in f)
            phases.setdefault(phase, []).append((int(fields["case"]), int(fields["rtt_us"])))

    def cases(name, above_t_low, settle=SETTLE):
        return [c for c, rtt in phases.get(name, [])[settle:]
                if c <= 4 and (rtt >= T_LOW_US) == above_t_low]

    low, rising, falling = cases("low", False, 0), cases("rising", True), cases("falling", True)
    print(f"decisions per phase { {k: len(v) for k, v in phases.items()} }; at 1 ms {low}; "
          f"rising {rising}; falling {falling}")
    assert len(low) >= 5 and all(c == 1 for c in low), low
    assert len(rising) >= 10 and rising.count(4) >= 0.8 * len(rising), rising
    assert len(falling) >= 10 and falling.count(3) >= 0.8 * len(falling), falling


SETTLE = 5
