"""End-to-end smoke test of the Mininet testbed: a tiny incast run through
`python3 -m dctestbed`, as `make bench` does, checked for sanity."""

import csv
import json
import subprocess
import sys
from collections import defaultdict

import netlab
import pytest

CCS = ("cubic", "dctcp", "xdctcp", "tdctcp")
PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
OUT = netlab.TOP / "results" / "kernel-tests" / "incast-smoke"


def rows(name):
    with open(OUT / "raw" / f"{name}.csv") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def run():
    p = subprocess.run(
        [sys.executable, "-m", "dctestbed", "incast", "--cc", ",".join(CCS), "--n", "3",
         "--reps", "1", "--queries", "4", "--bytes", "300000", "--rate", "10", "--force",
         "--out", str(OUT)],
        cwd=netlab.TOP, env={"PYTHONPATH": str(netlab.TOP / "mininet"), "PATH": PATH},
        capture_output=True, text=True, timeout=900)
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
        assert float(r["fct_us"]) > ideal[(r["cc"], r["group"])], r


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
    assert run["params"]["emulation"] in ("vm", "native")
