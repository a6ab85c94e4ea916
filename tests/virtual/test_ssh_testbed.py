"""scripts/experiment.sh --testbed: the experiments on hosts reached only
through SSH and an inventory.  The hosts are network namespaces of the
guest, each with its own OpenSSH server (tests/virtual/sshrack.py); the
marking point is a namespace forwarding between two NICs.  An incast and
a queue-buildup run end to end; a host that does not answer and a host
whose kernel refuses the module are refused by name before anything
starts; an interrupted run keeps its data and leaves nothing running; an
external switch is used as the inventory states it and read through its
counters command.

About 2.5 minutes of wall time under User-Mode Linux, where each SSH
session costs about 1.7 s of it."""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dctestbed import runner
from dctestbed.port import RedPort
from sshrack import AGG_DEV, Rack

pytestmark = pytest.mark.virtual

TOP = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("KERNEL_TEST_LOG_DIR") or TOP / "results" / "kernel-tests-uml") / "ssh"
MODULES = Path(os.environ.get("DCTESTBED_MODULE_DIR") or TOP)
# 100 Mbit/s: every packet costs wall time, and what is tested is the mechanics
SMALL_INCAST = ["--cc", "dctcp,tdctcp", "--n", "2,3", "--reps", "1", "--queries", "5",
                "--bytes", "300000", "--rate", "100"]


OURS = ("tcp_xdctcp", "tcp_tdctcp")


@pytest.fixture(scope="module")
def rack():
    """The rack; afterwards this tree's modules loaded again if they were
    before (the tests unload them, and the kernel fixture's allowed list
    names them)."""
    loaded = [m for m in OURS if Path(f"/sys/module/{m}").exists()]
    r = Rack(OUT / "rack").up()
    try:
        yield r
    finally:
        r.down()
        for m in loaded:
            if not Path(f"/sys/module/{m}").exists():
                subprocess.run(["insmod", str(MODULES / f"{m}.ko")], check=True)


def unload_ours():
    for m in OURS:
        subprocess.run(["rmmod", m], capture_output=True)


def dctestbed(inventory, experiment, out, *args, wait=True):
    cmd = [sys.executable, "-m", "dctestbed", experiment, "--testbed", str(inventory),
           "--out", str(out), *args]
    env = dict(os.environ, PYTHONPATH=str(TOP / "mininet"))
    if not wait:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def tagged_processes():
    """Processes any run started on any host: all the rack's namespaces
    share this kernel's /proc."""
    out = []
    for env in Path("/proc").glob("[0-9]*/environ"):
        try:
            if b"DCTESTBED_RUN=" in env.read_bytes():
                out.append((env.parent.name, (env.parent / "cmdline").read_bytes().replace(b"\0", b" ")))
        except OSError:
            pass
    return out


def egress_qdisc():
    return subprocess.run(["ip", "netns", "exec", "tor", "tc", "qdisc", "show", "dev", "tor-agg"],
                          capture_output=True, text=True).stdout


def agg_state():
    """What the runs change on the aggregator (this namespace) and restore."""
    sysctl = subprocess.run(["sysctl", "-n", "net.ipv4.tcp_congestion_control", "net.ipv4.tcp_ecn"],
                            capture_output=True, text=True).stdout.split()
    routes = subprocess.run(["ip", "route", "show", "dev", AGG_DEV], capture_output=True,
                            text=True).stdout
    return sysctl, routes


def assert_hosts_clean(before):
    assert tagged_processes() == []
    assert "htb" not in egress_qdisc() and "red" not in egress_qdisc()
    assert agg_state() == before


def test_incast_runs_on_ssh_reached_hosts_and_reports_as_the_emulated_testbed(rack):
    unload_ours()                   # the runner must load this tree's build itself
    inv = rack.inventory(OUT / "rack.yml", MODULES)
    before = agg_state()
    out = OUT / "incast"
    p = dctestbed(inv, "incast", out, *SMALL_INCAST)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    params = json.loads((out / "params.json").read_text())
    hosts = params["testbed"]["hosts"]
    assert {h: v["inventory_host"] for h, v in hosts.items()} == \
        {"h1": "agg", "h2": "w1", "h3": "w2", "h4": "w3"}
    assert params["testbed"]["marking"] == {"host": "tor", "kind": "linux", "egress_dev": "tor-agg"}
    # no host kept TCP metrics between connections
    assert params["isolation"] == "net.ipv4.tcp_no_metrics_save=1"
    assert params["tcp_metrics_cached"] == 0
    # the hosts' timer rate, which every host reported alike
    assert params["kernel_hz"] == runner.kernel_hz() > 0
    assert {h["hz"] for h in hosts.values()} == {runner.kernel_hz()}
    # the module the runs used is this tree's, inserted over SSH
    ours = subprocess.run(["modinfo", "-F", "srcversion", str(MODULES / "tcp_tdctcp.ko")],
                          capture_output=True, text=True).stdout.strip()
    assert params["module_srcversion"]["tdctcp"] == ours
    assert Path("/sys/module/tcp_tdctcp/srcversion").read_text().strip() == ours
    # the emulated testbed's raw files, each with its header
    raw = out / "raw"
    for name in runner.RAW_HEADERS:
        f = raw / f"{name}.csv"
        if not f.exists():
            f = raw / f"{name}.csv.gz"
        assert f.exists(), name
    runs = rows(raw / "runs.csv")
    assert sorted((r["cc"], r["group"]) for r in runs) == \
        [("dctcp", "2"), ("dctcp", "3"), ("tdctcp", "2"), ("tdctcp", "3")]
    assert all(int(r["queue_samples"]) > 0 and float(r["goodput_mbit"]) > 0 for r in runs)
    done = rows(raw / "completions.csv")
    assert len(done) == 4 * 5 and all(float(r["fct_us"]) > 0 for r in done)
    # the marking point marked, the aggregator saw it, tdctcp decided
    assert sum(int(r["qdisc_marks"]) for r in runs if r["cc"] == "dctcp") > 0
    ce = [r for r in rows(raw / "counters.csv") if r["name"] == "IpExtInCEPkts" and r["host"] == "h1"]
    assert sum(int(r["value"]) for r in ce) > 0
    assert sum(int(r["count"]) for r in rows(raw / "cases.csv")) > 0
    assert {r["host"] for r in rows(raw / "cpu.csv")} >= {"h1"}
    summary = json.loads((out / "summary.json").read_text())
    assert {e["cc"] for e in summary["results"]} == {"dctcp", "tdctcp"}
    report = (out / "report.md").read_text()
    for heading in ("# incast experiment", "**Testbed.**", "**Hosts.**",
                    "## Congestion controls compared: query completion times"):
        assert heading in report
    assert list((out / "plots").glob("*.png"))
    assert_hosts_clean(before)


def test_queue_buildup_runs_on_ssh_reached_hosts(rack):
    inv = rack.inventory(OUT / "rack.yml", MODULES)
    before = agg_state()
    out = OUT / "queue-buildup"
    p = dctestbed(inv, "queue-buildup", out, "--cc", "dctcp", "--reps", "1", "--duration", "4",
                  "--rate", "100")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    params = json.loads((out / "params.json").read_text())
    assert {h: v["inventory_host"] for h, v in params["testbed"]["hosts"].items()} == \
        {"h1": "s1", "h2": "s2", "h3": "w1", "r": "agg"}
    raw = out / "raw"
    short = [r for r in rows(raw / "completions.csv") if r["kind"] == "short"]
    assert len(short) > 10
    assert {r["flow"] for r in rows(raw / "flows.csv")} == {"h1", "h2"}
    assert "## Congestion controls compared: short completion times" in (out / "report.md").read_text()
    assert_hosts_clean(before)


def test_a_host_that_does_not_answer_is_refused_by_name(rack):
    inv = rack.inventory(OUT / "rack.yml", MODULES)
    out = OUT / "unreachable"
    shutil.rmtree(out, ignore_errors=True)
    rack.stop_sshd("w2")
    try:
        p = dctestbed(inv, "incast", out, *SMALL_INCAST)
    finally:
        rack.start_sshd("w2")
    assert p.returncode == 2
    assert "host w2 at 10.8.0.11: unreachable" in p.stderr, p.stderr
    assert not out.exists()         # refused before anything started
    assert tagged_processes() == []


def refused_build(path):
    """A copy of this tree's module whose version magic names another
    kernel: what the kernel refuses when a module was built elsewhere."""
    path.mkdir(parents=True, exist_ok=True)
    for m in ("tcp_xdctcp", "tcp_tdctcp"):
        data = (MODULES / f"{m}.ko").read_bytes()
        start = data.index(b"vermagic=") + len(b"vermagic=")
        release = data[start:data.index(b" ", start)]
        (path / f"{m}.ko").write_bytes(data.replace(b"vermagic=" + release,
                                                    b"vermagic=" + b"9" * len(release), 1))
    return path


def test_a_host_whose_kernel_refuses_the_module_is_refused_by_name(rack):
    unload_ours()
    bad = refused_build(OUT / "refused-build")
    inv = rack.inventory(OUT / "rack-refused.yml", MODULES, extra={"agg": {"dctcp_modules": str(bad)}})
    out = OUT / "refused"
    shutil.rmtree(out, ignore_errors=True)
    p = dctestbed(inv, "incast", out, *SMALL_INCAST)
    assert p.returncode == 2
    assert "host agg at 10.8.0.1: its kernel" in p.stderr and "refuses tcp_tdctcp.ko" in p.stderr, \
        p.stderr
    assert not out.exists()
    assert tagged_processes() == []


def test_an_interrupted_run_keeps_its_data_and_leaves_nothing_running(rack):
    inv = rack.inventory(OUT / "rack.yml", MODULES)
    before = agg_state()
    out = OUT / "interrupted"
    p = dctestbed(inv, "incast", out, "--cc", "dctcp,tdctcp", "--n", "3", "--reps", "4",
                  "--queries", "20", "--bytes", "300000", "--rate", "100", wait=False)
    runs = out / "raw" / "runs.csv"
    deadline = time.monotonic() + 600
    # half-way: a run recorded, the servers and the aggregator up on the hosts
    while time.monotonic() < deadline and p.poll() is None:
        if runs.exists() and len(runs.read_text().splitlines()) >= 2 and tagged_processes():
            break
        time.sleep(0.05)
    assert p.poll() is None, p.stdout.read()[-3000:]
    p.send_signal(signal.SIGINT)
    log, _ = p.communicate(timeout=300)
    assert p.returncode == 1, log[-3000:]
    params = json.loads((out / "params.json").read_text())
    assert params["interrupted"].startswith("interrupted")
    assert 1 <= len(rows(runs)) < 8
    assert len(rows(out / "raw" / "completions.csv")) >= 20
    assert (out / "report.md").exists()
    assert_hosts_clean(before)


SWITCH_COUNTERS = """#!/bin/sh
# the "switch's" own port counters, as JSON: what counters_cmd must print
ip netns exec tor tc -s -j qdisc show dev tor-agg | python3 -c '
import json, sys
q = [q for q in json.load(sys.stdin) if q.get("handle") == "10:"][0]
print(json.dumps({"bytes": q["bytes"], "packets": q["packets"], "drops": q["drops"],
                  "marks": q["marked"]}))'
"""


def test_an_external_switch_is_used_as_stated_and_read_through_its_counters(rack):
    port = RedPort(100, 20, 100)        # configured on the "switch" here, not by the runner
    for c in port.tc_commands("tor-agg"):
        subprocess.run(["ip", "netns", "exec", "tor", *c], check=True)
    counters = OUT / "switch-counters.sh"
    counters.write_text(SWITCH_COUNTERS)
    counters.chmod(0o755)
    stated = {"marking": "external", "rate_mbit": 100, "k_pkts": 20, "buffer_pkts": 100,
              "counters_cmd": str(counters)}
    inv = rack.inventory(OUT / "rack-external.yml", MODULES, extra={"tor": stated})
    out, other = OUT / "external", OUT / "external-k30"
    shutil.rmtree(other, ignore_errors=True)
    try:
        p = dctestbed(inv, "incast", out, "--cc", "dctcp", "--n", "2", "--reps", "1",
                      "--queries", "5", "--bytes", "300000", "--rate", "100")
        assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
        params = json.loads((out / "params.json").read_text())
        assert params["rate_mbit"] == 100 and params["testbed"]["marking"]["kind"] == "external"
        runs = rows(out / "raw" / "runs.csv")
        assert len(runs) == 1 and int(runs[0]["qdisc_marks"]) > 0
        assert "external switch tor" in (out / "report.md").read_text()
        assert "htb" in egress_qdisc()          # the switch's configuration is left alone
        # options that ask for another port than the switch's are refused before anything starts
        p = dctestbed(inv, "incast", other, "--cc", "dctcp", "--n", "2", "--k", "30", "--rate", "100")
        assert p.returncode == 2 and "marks at K = 20 of 100 packets at 100 Mbit/s" in p.stderr, \
            p.stderr
        assert not other.exists()
    finally:
        subprocess.run(["ip", "netns", "exec", "tor", "tc", "qdisc", "del", "dev", "tor-agg", "root"])
    assert tagged_processes() == []
