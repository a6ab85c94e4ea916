"""tdctcp's per-case counters move the way the conditions dictate, and the
trace event fires once per decision."""

from pathlib import Path

import netlab

TRACE = Path("/sys/kernel/tracing")


def decisions(run):
    """Run run() with the counters reset; return the per-case deltas."""
    netlab.reset_case_counts()
    run()
    counts = netlab.case_counts()
    print("case counts:", counts)
    return counts


def test_no_marking_low_rtt_is_cases_1_and_3(lab):
    """Most light-alpha decisions are (1)/(3) (under emulation a loaded veth
    sometimes holds the RTT above T_low = 5 ms, which gives (4)); heavy
    ones come only from alpha's start at 1 (about 33 windows at g = 1/16
    before alpha < 1/8); none sees an RTT above T_high."""
    a, b, _, _ = netlab.pair(lab, "tdctcp", "tdctcp")
    (TRACE / "trace").write_text("")
    (TRACE / "events/tdctcp/enable").write_text("1")
    try:
        c = decisions(lambda: netlab.iperf(lab, a, b, "10.77.0.2", seconds=3))
    finally:
        (TRACE / "events/tdctcp/enable").write_text("0")
    total = sum(c.values())
    light = c[1] + c[2] + c[3] + c[4]
    assert light >= 30
    assert c[1] + c[3] > c[2] + c[4]
    assert c[2] == 0 and c[6] == 0
    events = [ln for ln in (TRACE / "trace").read_text().split("\n") if "tdctcp_decision:" in ln]
    print(f"{len(events)} trace events, {total} decisions")
    assert events and "case=" in events[-1] and "rtt_us=" in events[-1] and "cwnd=" in events[-1]
    assert len(events) == total                 # one event per decision


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
    c = decisions(lambda: netlab.iperf(lab, a, b, "10.77.0.2", seconds=3, bitrate="10M"))
    total = sum(c.values())
    assert total >= 20
    assert c[2] + c[6] >= 0.8 * total
