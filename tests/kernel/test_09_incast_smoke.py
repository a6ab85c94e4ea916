"""End-to-end smoke test of the Mininet testbed: a tiny incast run through
`python3 -m dctestbed`, as `make bench` does, checked for sanity.  Its
checks depend on the path carrying its rate and on sampling rates, so it
runs in virtual time (the User-Mode Linux testbed), where the host's load
cannot move them."""

import csv
import json
import subprocess
import sys
from collections import defaultdict

import netlab
import pytest
from dctestbed.runner import kernel_hz

pytestmark = pytest.mark.virtual

CCS = ("cubic", "dctcp", "xdctcp", "tdctcp")
OUT = netlab.LOG_DIR / "incast-smoke"


def rows(name):
    with open(OUT / "raw" / f"{name}.csv") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def run():
    p = subprocess.run(
        [sys.executable, "-m", "dctestbed", "incast", "--cc", ",".join(CCS), "--n", "3",
         "--reps", "1", "--queries", "4", "--bytes", "300000", "--rate", "10", "--force",
         "--out", str(OUT)],
        cwd=netlab.TOP, env=netlab.testbed_env(), capture_output=True, text=True, timeout=900)
    (OUT.parent / "incast-smoke.log").write_text(p.stdout + p.stderr)
    assert p.returncode == 0, p.stdout[-1500:] + p.stderr[-1500:]
    return json.loads((OUT / "summary.json").read_text())


def test_every_query_completes_above_the_ideal(run):
    ideal = {(r["cc"], r["group"]): r["completions"]["query"]["ideal_us"] for r in run["results"]}
    qct = rows("completions")
    assert {r["cc"] for r in qct} == set(CCS)
    for cc in CCS:
        assert sum(1 for r in qct if r["cc"] == cc) == 4
    for r in qct:
        # HTB's bucket starts full: one tick of its rate (4 ms at HZ 250, 10 ms
        # at User-Mode Linux's HZ 100) and an MTU leave at line speed, so a
        # query may beat the ideal by that much
        tick_us = 1e6 / (100 if run["params"]["emulation"] == "uml" else 250)
        assert float(r["fct_us"]) > ideal[(r["cc"], r["group"])] - tick_us - 1_300, r


def test_no_connection_inherits_cached_metrics(run):
    """Every host keeps no TCP metrics between connections, so no query
    starts from the RTT, reordering or ssthresh another repetition or
    control left: after the runs no host holds any (the capacity and RTT
    checks before them left some, flushed when the hosts were set up)."""
    assert run["params"]["isolation"] == "net.ipv4.tcp_no_metrics_save=1"
    assert run["params"]["tcp_metrics_cached"] == 0


def test_the_run_records_the_kernel_timer_rate(run):
    assert run["params"]["kernel_hz"] == kernel_hz() > 0


def test_queue_samples_describe_the_bottleneck(run):
    """The monitor's queue series, run by run: every run sampled, in time
    order, near the asked rate, within the buffer, full-sized frames; the
    tail-drop baseline fills the queue past K, the DCTCP family holds it
    lower."""
    by_run = defaultdict(list)
    for r in rows("queue"):
        by_run[r["cc"]].append((float(r["t_s"]), int(r["qlen_pkts"]), int(r["backlog_bytes"])))
    runs = {r["cc"]: r for r in rows("runs")}
    assert set(by_run) == set(CCS)
    for cc, samples in by_run.items():
        t, q, b = zip(*samples, strict=True)
        assert int(runs[cc]["queue_samples"]) == len(samples)
        assert all(t1 > t0 for t0, t1 in zip(t, t[1:], strict=False)), cc
        assert len(samples) / (t[-1] - t[0]) >= 100, (cc, len(samples))
        # the port's buffer is RED's limit, in bytes: 100 packets of 1500 bytes
        # (a response's short last segment lets a few more packets in)
        assert 0 <= min(q) and max(b) <= 100 * 1500, cc
        assert 1300 <= sum(b) / max(1, sum(q)) <= 1600, cc
    means = {e["cc"]: e["queue"]["mean_pkts"] for e in run["results"]}
    assert max(q for _, q, _ in by_run["cubic"]) > 20
    assert all(means[cc] < means["cubic"] for cc in ("dctcp", "xdctcp", "tdctcp")), means


def test_tcp_probe_follows_the_workers_flows(run):
    """tcp_probe in the first repetition: only the workers' data flows to
    the aggregator (the filter), plausible windows and RTTs, nothing lost."""
    probe = rows("probe")
    assert {r["cc"] for r in probe} == set(CCS)
    for r in probe:
        src, dst = r["flow"].split(">")
        assert 5001 <= int(src.rsplit(":", 1)[1]) < 5021, r        # a worker's app server
        assert 1 <= int(r["cwnd_pkts"]) <= 1000 and 0 < int(r["srtt_us"]) < 1_000_000, r
    for cc in CCS:
        srtt = sorted(int(r["srtt_us"]) for r in probe if r["cc"] == cc)
        assert run["params"]["base_rtt_us"] / 2 <= srtt[len(srtt) // 2] <= 150_000, (cc, srtt[-1])
    assert all(r["probe_lost"] == "0" for r in rows("runs")), rows("runs")


def test_ce_marks_for_ecn_controls_only(run):
    ce = defaultdict(int)
    for r in rows("counters"):
        if r["name"] == "IpExtInCEPkts":
            ce[r["cc"]] += int(r["value"])
    assert ce["cubic"] == 0
    for cc in ("dctcp", "xdctcp", "tdctcp"):
        assert ce[cc] > 0, dict(ce)
    marks = {r["cc"]: int(r["qdisc_marks"]) for r in rows("runs")}
    assert marks["cubic"] == 0 and all(marks[cc] > 0 for cc in CCS[1:]), marks


def test_timeouts_in_report_match_the_counters(run):
    """Each host's counters were read for each run, and the report's
    timeouts are their sum: none lost between raw data and report."""
    counters = rows("counters")
    hosts = {(r["cc"], r["host"]) for r in counters if r["name"] == "TcpExtTCPTimeouts"}
    assert len(hosts) == len(CCS) * 4          # aggregator + 3 workers, every run
    for res in run["results"]:
        want = sum(int(r["value"]) for r in counters
                   if r["cc"] == res["cc"] and r["name"] == "TcpExtTCPTimeouts")
        assert res["timeouts"] == want


def test_report_and_plots_written(run):
    report = (OUT / "report.md").read_text()
    for cc in CCS:
        assert f"| {cc} |" in report
    assert (OUT / "plots" / "cdf_query.png").stat().st_size > 1000
    assert run["params"]["rate_mbit"] == 10
    assert run["params"]["emulation"] in ("uml", "vm", "native")
