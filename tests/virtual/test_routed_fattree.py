"""The k = 4 fat-tree in virtual time: routed switches (one VRF each, ECMP
over the up-links) instead of Open vSwitch, which forwards nothing under
User-Mode Linux.  Every host reaches every other, both up-links of every
edge and aggregation switch carry traffic, nothing is left behind, and
the fattree experiment runs end to end."""

import csv
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from dctestbed import experiments, router, testbed
from dctestbed.topo import FatTreeTopo

pytestmark = pytest.mark.virtual

TOP = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("KERNEL_TEST_LOG_DIR") or TOP / "results" / "kernel-tests-uml") / "fattree"


def tx_packets(dev):
    return int(Path(f"/sys/class/net/{dev}/statistics/tx_packets").read_text())


def sysctl(name):
    return (router.PROC / name).read_text().strip()


def test_routed_fattree_reaches_every_host_over_both_up_links():
    before = {k: sysctl(k) for k in router.GLOBAL_SYSCTLS}
    topo = FatTreeTopo(k=4)
    tb = testbed.Testbed(topo, "router").start()
    try:
        assert len(tb.net.switches) == 20 and len(tb.net.hosts) == 16
        assert sorted(router.leftover_vrfs()) == sorted(f"vrf-{s.name}" for s in tb.net.switches)
        up = {s.name: [f"{s.name}-eth3", f"{s.name}-eth4"]
              for s in topo.tree.switches() if s.kind != "core"}
        start = {d: tx_packets(d) for ds in up.values() for d in ds}
        assert tb.net.pingAll(timeout="1") == 0
        # ICMP hashes on the addresses: 240 pairs spread over every up-link
        for name, devs in up.items():
            sent = [tx_packets(d) - start[d] for d in devs]
            assert all(n > 0 for n in sent), (name, sent)
        # a packet between pods crosses five routers: TTL 64 - 5 in the reply
        h1, h16 = tb.net.get("h1"), tb.net.get("h16")
        assert "ttl=59" in h1.cmd(f"ping -c1 -W1 {h16.IP()}")
    finally:
        tb.stop()
    assert router.leftover_vrfs() == []
    assert {k: sysctl(k) for k in router.GLOBAL_SYSCTLS} == before


def up_link_bytes(topo):
    return {d: int(Path(f"/sys/class/net/{d}/statistics/tx_bytes").read_text())
            for s in topo.tree.switches() if s.kind != "core" for d in (f"{s.name}-eth3", f"{s.name}-eth4")}


def test_a_five_tuple_keeps_its_path_whichever_control_sends():
    """The fattree experiment pairs its controls on one placement of the
    flows: each repetition's flows leave from fixed source ports to one
    server port, and the multipath hash then picks the same up-links for
    every control."""
    topo = FatTreeTopo(k=4)
    tb = testbed.Testbed(topo, "router").start()
    server = None
    try:
        client, host = tb.net.get("h13"), tb.net.get("h6")
        server = experiments.SwitchedServer(host)
        sched = OUT.parent / "path-schedule.csv"
        sched.parent.mkdir(parents=True, exist_ok=True)
        sched.write_text("0,2000000\n")
        paths = {}
        for cc, sport in (("reno", 21000), ("cubic", 21000), ("reno", 21001), ("cubic", 21001)):
            server.select(cc)
            before = up_link_bytes(topo)
            out = client.cmd(f"PYTHONPATH={TOP / 'mininet'} {sys.executable} -m dctestbed.flowapp flows "
                             f"--server {host.IP()} --port {experiments.APP_PORT} --schedule {sched} "
                             f"--out /dev/null --cc {cc} --sport {sport}; echo rc=$?")
            assert "rc=0" in out, out
            after = up_link_bytes(topo)
            paths[(cc, sport)] = {d for d in after if after[d] - before[d] > 1_000_000}
        for sport in (21000, 21001):
            # between pods: up through an edge and an aggregation switch
            assert len(paths[("reno", sport)]) == 2, paths
            assert paths[("reno", sport)] == paths[("cubic", sport)], paths
    finally:
        if server:
            server.close()
        tb.stop()


def test_cleanup_removes_the_vrfs_of_a_killed_run():
    tb = testbed.Testbed(FatTreeTopo(k=4), "router").start()
    tb.net = None                      # as if the run had been killed
    assert len(router.leftover_vrfs()) == 20
    testbed.cleanup("router")
    assert router.leftover_vrfs() == []
    router.restore(tb._sysctls)


@pytest.fixture(scope="module")
def experiment():
    p = subprocess.run(
        [sys.executable, "-m", "dctestbed", "fattree", "--cc", "dctcp,tdctcp", "--reps", "1",
         "--duration", "5", "--queries", "3", "--out", str(OUT)],
        cwd=TOP, env={"PYTHONPATH": str(TOP / "mininet"), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                      "DCTESTBED_CLOCK": "virtual",
                      "DCTESTBED_MODULE_DIR": os.environ.get("DCTESTBED_MODULE_DIR", "")},
        capture_output=True, text=True, timeout=1200)
    (OUT.parent / "fattree.log").write_text(p.stdout + p.stderr)
    assert p.returncode == 0, p.stdout[-1500:] + p.stderr[-1500:]
    return json.loads((OUT / "params.json").read_text())


def rows(name):
    with open(OUT / "raw" / f"{name}.csv") as f:
        return list(csv.DictReader(f))


def test_fattree_experiment_runs_in_virtual_time_on_routers(experiment):
    p = experiment
    assert (p["clock"], p["switch"], p["emulation"]) == ("virtual", "router", "uml")
    assert p["rate_mbit"] == 100.0                 # the thesis' rate
    # the carried-rate check ran over the longest path and passed
    assert p["carried_fraction"] >= 0.9, p
    assert p["bottleneck"] == "e1-eth1"            # the edge port to the aggregator h1


def test_fattree_experiment_completes_queries_probes_and_web_flows(experiment):
    done = rows("completions")
    kinds = Counter((r["cc"], r["kind"]) for r in done)
    for cc in ("dctcp", "tdctcp"):
        assert kinds[(cc, "query")] == 3, kinds
        assert kinds[(cc, "probe")] >= 1, kinds
        assert kinds[(cc, "web")] >= 1, kinds
    # a 1 MB query of 15 responses at 100 Mbit/s takes at least its serialisation
    for r in done:
        if r["kind"] == "query":
            assert float(r["fct_us"]) > 1_000_000 * 8 / 100, r
    runs = rows("runs")
    assert {r["cc"] for r in runs} == {"dctcp", "tdctcp"}
    for r in runs:
        assert int(r["queue_samples"]) > 0 and float(r["goodput_mbit"]) > 0, r
