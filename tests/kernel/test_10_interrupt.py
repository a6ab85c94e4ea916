"""Ctrl-C in the middle of an experiment: the run stops, Mininet and Open
vSwitch state is gone, and the raw data gathered so far is kept."""

import json
import shutil
import signal
import subprocess
import sys
import time

import netlab

OUT = netlab.TOP / "results" / "kernel-tests" / "incast-interrupted"
PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def runs_done():
    f = OUT / "raw" / "runs.csv"
    return len(f.read_text().splitlines()) - 1 if f.exists() else 0


def test_sigint_cleans_up_and_keeps_raw_data():
    shutil.rmtree(OUT, ignore_errors=True)     # an earlier run's runs.csv would end the wait at once
    p = subprocess.Popen(
        [sys.executable, "-m", "dctestbed", "incast", "--cc", "cubic,dctcp", "--n", "2",
         "--reps", "20", "--queries", "3", "--bytes", "200000", "--rate", "10", "--force",
         "--no-report", "--out", str(OUT)],
        cwd=netlab.TOP, env={"PYTHONPATH": str(netlab.TOP / "mininet"), "PATH": PATH},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 300    # two runs take ~30 s
        while runs_done() < 2 and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert p.poll() is None, "the run ended before it could be interrupted"
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 1, out[-2000:]
    assert "interrupted" in out
    params = json.loads((OUT / "params.json").read_text())
    assert params["interrupted"].startswith("interrupted")
    done = runs_done()
    assert 2 <= done < 2 * 20
    qct = (OUT / "raw" / "completions.csv").read_text().splitlines()[1:]
    assert len(qct) >= 3 * 2
    # nothing left behind: no host namespaces' veths, no switch ports, no OVS bridge
    links = netlab.sh("ip -o link show").stdout
    assert "s1-eth" not in links and "h1-eth" not in links, links
    bridges = subprocess.run(["ovs-vsctl", "--timeout=5", "list-br"], capture_output=True, text=True,
                             env={"PATH": PATH, "OVS_RUNDIR": "/tmp/dctestbed-ovs"})
    assert bridges.returncode == 0 and bridges.stdout.strip() == "", bridges.stderr
    leftover = netlab.sh(["pgrep", "-f", "dctestbed.flowapp"], check=False).stdout.strip()
    assert leftover == ""
