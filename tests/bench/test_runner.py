"""The runner's record of one run, outside Mininet."""

import gzip
import os
import signal
import subprocess

import pytest
from dctestbed import runner, testbed, variants


class FakeFiles:
    def __init__(self):
        self.added = []

    def add(self, name, key, rows):
        self.added.append((name, list(rows)))


class FakeTestbed:
    """qdisc counters that move by 10 packets' worth between reads; the
    second read delivers a Ctrl-C, as a user's would land mid-record."""

    def __init__(self, interrupt=False, marks=True):
        self.reads = 0
        self.interrupt = interrupt
        self.marks = marks
        self.cpu_reads = 0

    def qdisc_stats(self, dev):
        self.reads += 1
        if self.interrupt and self.reads == 2:
            os.kill(os.getpid(), signal.SIGINT)
        if not self.marks:      # an external switch whose counters nobody reads
            return {"bytes": 15000 * self.reads, "drops": None, "marks": None}
        return {"bytes": 15000 * self.reads, "drops": 0, "marks": self.reads}

    def cpu_busy(self):
        """h1 busy 30 of 200 jiffies between the two reads."""
        self.cpu_reads += 1
        return {"h1": (100 + 30 * self.cpu_reads, 1000 + 200 * self.cpu_reads)}


def start(tb):
    return runner.RunStart([], {}, tb.qdisc_stats("s1-eth1"), 0.0, None, {}, tb.cpu_busy())


def test_runs_csv_is_written_last(tmp_path):
    files, tb = FakeFiles(), FakeTestbed()
    rows = {"completions": [("query", 1000, 2000.0)], "busy_s": 0.5}
    goodput = runner.record(files, ("dctcp", "4", 0), rows, start(tb), None, tb, "s1-eth1", tmp_path)
    names = [n for n, _ in files.added]
    assert names[-1] == "runs" and "completions" in names
    assert goodput == pytest.approx(15000 * 8 / 0.5 / 1e6)
    # no tcp_probe in this run: its lost-event count is left empty
    assert files.added[-1][1] == [(0.5, 15000, round(goodput, 3), 0, 1, 0, "")]


def test_each_kernel_s_cpu_load_over_the_run_is_recorded(tmp_path):
    files, tb = FakeFiles(), FakeTestbed()
    runner.record(files, ("dctcp", "4", 0), {"busy_s": 0.5}, start(tb), None, tb, "s1-eth1", tmp_path)
    assert dict(files.added)["cpu"] == [("h1", 15.0)]


def test_unread_switch_counters_leave_drops_and_marks_empty(tmp_path):
    files, tb = FakeFiles(), FakeTestbed(marks=False)
    runner.record(files, ("dctcp", "4", 0), {"busy_s": 0.5}, start(tb), None, tb, "s1-eth1", tmp_path)
    assert files.added[-1][1][0][3:5] == ("", "")


def test_a_probed_run_records_the_events_it_lost(tmp_path):
    files, tb = FakeFiles(), FakeTestbed()
    st = start(tb)
    st.probe_out = tmp_path / "probe.txt"
    st.probe_out.write_text("cpus=2\nCPU:0 [7 EVENTS DROPPED]\n")
    runner.record(files, ("dctcp", "4", 0), {"busy_s": 0.5}, st, None, tb, "s1-eth1", tmp_path)
    assert files.added[-1][1][0][-1] == 7


def test_run_order_rotates_controls_and_swaps_monitor_arms():
    from dctestbed import options
    o = options.parse(["incast", "--cc", "cubic,dctcp", "--monitor-ab"])
    m, n = options.MONITOR_ARMS
    assert o.labels == ["cubic" + m, "cubic" + n, "dctcp" + m, "dctcp" + n]
    assert runner.run_order(o, 0) == [("cubic", "cubic" + m), ("cubic", "cubic" + n),
                                      ("dctcp", "dctcp" + m), ("dctcp", "dctcp" + n)]
    assert runner.run_order(o, 1) == [("dctcp", "dctcp" + n), ("dctcp", "dctcp" + m),
                                      ("cubic", "cubic" + n), ("cubic", "cubic" + m)]
    plain = options.parse(["incast", "--cc", "cubic,dctcp,reno"])
    assert runner.run_order(plain, 2) == [("reno", "reno"), ("cubic", "cubic"), ("dctcp", "dctcp")]


def test_ctrl_c_during_the_record_waits_for_it(tmp_path):
    files, tb = FakeFiles(), FakeTestbed(interrupt=True)
    st = start(tb)
    rows = {"completions": [("query", 1000, 2000.0)], "busy_s": 0.5}
    # the handler found (Python's own, or SIG_IGN in a job started in the background)
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt), runner.deferred_interrupts():
        runner.record(files, ("dctcp", "4", 0), rows, st, None, tb, "s1-eth1", tmp_path)
    assert [n for n, _ in files.added][-1] == "runs"
    assert signal.getsignal(signal.SIGINT) is before


def test_no_signal_no_interrupt():
    with runner.deferred_interrupts():
        pass
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_source_revision_names_the_commit_and_a_dirty_tree(tmp_path):
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", "-C", str(tmp_path)]
    assert runner.source_revision(tmp_path) is None          # not a checkout
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "f").write_text("1\n")
    subprocess.run([*git, "add", "f"], check=True)
    subprocess.run([*git, "commit", "-qm", "c"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    rev = runner.source_revision(tmp_path)
    assert rev and head.startswith(rev)
    (tmp_path / "results").mkdir()                 # a run rewriting a committed run
    (tmp_path / "results" / "r").write_text("1\n")
    subprocess.run([*git, "add", "results/r"], check=True)
    subprocess.run([*git, "commit", "-qm", "r"], check=True)
    rev = runner.source_revision(tmp_path)
    (tmp_path / "results" / "r").write_text("2\n")
    assert runner.source_revision(tmp_path) == rev
    (tmp_path / "f").write_text("2\n")
    assert runner.source_revision(tmp_path) == rev + "-dirty"


def test_module_srcversion_reads_sysfs(tmp_path, monkeypatch):
    monkeypatch.setattr(variants, "SYS_MODULE", tmp_path)
    (tmp_path / "tcp_xdctcp").mkdir()
    (tmp_path / "tcp_xdctcp" / "srcversion").write_text("ABCDEF0123456789ABCDEF0\n")
    assert variants.module_srcversion("xdctcp") == "ABCDEF0123456789ABCDEF0"
    assert variants.module_srcversion("tdctcp") is None      # not loaded


def test_start_jitter_is_paired_across_controls_and_varies_with_the_repetition():
    from dctestbed import options
    o = options.parse(["incast", "--jitter-us", "1000", "--seed", "3"], clock_name="virtual")
    a, b = runner.start_jitter_s(o, 0), runner.start_jitter_s(o, 1)
    assert a == runner.start_jitter_s(o, 0) and a != b
    assert 0 <= a <= 0.001 and 0 <= b <= 0.001
    o.seed = 4
    assert runner.start_jitter_s(o, 0) != a


def test_virtual_time_defaults():
    from dctestbed import options
    v = options.parse(["incast"], clock_name="virtual")
    assert (v.rate, v.rtt_us, v.switch) == (1000.0, 100.0, "bridge")
    w = options.parse(["incast"], clock_name="wall")
    assert (w.rate, w.rtt_us, w.switch) == (None, 0.0, "ovs")
    f = options.parse(["fattree"], clock_name="virtual")
    assert (f.switch, f.rate, f.rtt_us) == ("router", 100.0, 100.0)
    options.check(f, environment=False)
    assert options.parse(["fattree"], clock_name="wall").switch == "ovs"
    with pytest.raises(options.OptionError, match="--switch bridge"):
        options.check(options.parse(["fattree", "--switch", "bridge"], clock_name="virtual"),
                      environment=False)
    with pytest.raises(options.OptionError, match="--switch router: only the fat-tree"):
        options.check(options.parse(["incast", "--switch", "router"], clock_name="virtual"),
                      environment=False)
    options.check(options.parse(["fattree", "--switch", "ovs"], clock_name="virtual"),
                  environment=False)


def test_a_monitor_that_does_not_answer_fails_the_run_instead_of_hanging():
    """A monitor stuck in its own wait (once: a lost stop of trace-cmd) must
    not hold the run for ever: no answer in time kills it and fails."""
    import subprocess

    from dctestbed.runner import Monitor

    mon = Monitor.__new__(Monitor)
    mon.proc = subprocess.Popen(["sleep", "30"], stdout=subprocess.PIPE, text=True)
    mon.ANSWER_S = 0.2
    with pytest.raises(RuntimeError, match="no answer"):
        mon._expect("ok")
    assert mon.proc.wait(timeout=5) != 0            # killed
    mon.proc = subprocess.Popen(["echo", "ok"], stdout=subprocess.PIPE, text=True)
    mon._expect("ok")
    mon.proc.wait()


def test_the_kernel_timer_rate_is_read_from_its_configuration(tmp_path, monkeypatch):
    assert testbed.config_hz("CONFIG_HZ_250=y\nCONFIG_HZ=250\nCONFIG_HZ_PERIODIC=n\n") == 250
    assert testbed.config_hz("# CONFIG_HZ is not set\nCONFIG_HZ_1000=y\n") is None
    proc, boot = tmp_path / "config.gz", tmp_path / "boot"
    boot.mkdir()
    assert testbed.kernel_hz("6.1.0-x", proc, boot) is None
    (boot / "config-6.1.0-x").write_text("CONFIG_HZ=250\n")
    assert testbed.kernel_hz("6.1.0-x", proc, boot) == 250
    assert testbed.kernel_hz("6.1.0-y", proc, boot) is None
    # the running kernel's own configuration comes first
    with gzip.open(proc, "wt") as f:
        f.write("CONFIG_HZ=1000\n")
    assert testbed.kernel_hz("6.1.0-x", proc, boot) == 1000
