"""Ctrl-C in the middle of an experiment: the run stops, Mininet and switch
state (Open vSwitch's, or the Linux bridges of the virtual-time testbed) is
gone, and the raw data gathered so far is kept.  SIGKILL instead: nothing
is cleaned up, and the next run must clean up first."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import netlab

OUT = netlab.LOG_DIR / "incast-interrupted"


def runs_done():
    f = OUT / "raw" / "runs.csv"
    return len(f.read_text().splitlines()) - 1 if f.exists() else 0


def test_sigint_cleans_up_and_keeps_raw_data():
    shutil.rmtree(OUT, ignore_errors=True)     # an earlier run's runs.csv would end the wait at once
    p = subprocess.Popen(
        [sys.executable, "-m", "dctestbed", "incast", "--cc", "cubic,dctcp", "--n", "2",
         "--reps", "20", "--queries", "3", "--bytes", "200000", "--rate", "10", "--force",
         "--no-report", "--out", str(OUT)],
        cwd=netlab.TOP, env=netlab.testbed_env(),
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
    # nothing left behind: no host namespaces' veths, no switch ports or bridge
    netlab.assert_no_switch_left(params["switch"])
    leftover = netlab.sh(["pgrep", "-f", "dctestbed.flowapp"], check=False).stdout.strip()
    assert leftover == ""


def test_sigkill_leaves_nothing_after_the_next_run(tmp_path):
    env = netlab.testbed_env()
    base = [sys.executable, "-m", "dctestbed", "incast", "--cc", "cubic,dctcp", "--n", "2",
            "--queries", "3", "--bytes", "200000", "--rate", "10", "--force", "--no-report"]
    # output to files, never pipes: a daemon the run starts (Open vSwitch)
    # may keep a pipe open long after the run is gone
    killed_log = tmp_path / "killed.log"
    with open(killed_log, "w") as log:
        p = subprocess.Popen(base + ["--reps", "20", "--out", str(tmp_path / "killed")],
                             cwd=netlab.TOP, env=env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
    runs = tmp_path / "killed" / "raw" / "runs.csv"
    deadline = time.monotonic() + 300
    while not runs.exists() or len(runs.read_text().splitlines()) < 2:
        assert p.poll() is None, killed_log.read_text()[-3000:]
        assert time.monotonic() < deadline, killed_log.read_text()[-3000:]
        time.sleep(0.5)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    before = netlab.sh("ip -o link show").stdout.count("s1-eth")
    # the next run cleans up first, then runs and cleans up after itself
    next_log = tmp_path / "next.log"
    with open(next_log, "w") as log:
        q = subprocess.run([*base, "--cc", "cubic", "--reps", "1", "--out", str(tmp_path / "next")],
                           cwd=netlab.TOP,
                           env=env, stdout=log, stderr=subprocess.STDOUT, timeout=600)
    assert q.returncode == 0, next_log.read_text()[-3000:]
    switch = json.loads((tmp_path / "next" / "params.json").read_text())["switch"]
    netlab.assert_no_switch_left(switch)
    # (Open vSwitch's daemons in /tmp/dctestbed-ovs, where used, stay, as between any two runs)
    left = netlab.sh(["pgrep", "-af", "dctestbed[.](monitor|flowapp)|iperf3"], check=False).stdout.strip()
    assert left == "", left
    print(f"{before} switch ports left behind by the killed run; none after the next one")
