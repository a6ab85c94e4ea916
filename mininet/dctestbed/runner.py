"""Run an experiment: check the options, prepare the kernel, build the
network, check its capacity, then for each group, repetition and
congestion control run the traffic with the monitors on, appending raw
rows as they come.  Ctrl-C or a failure stops the loop, tears the network
down and still writes the report of what was gathered.
"""

import contextlib
import csv
import json
import os
import platform
import re
import select
import shutil
import signal
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dctestbed import options as opt
from dctestbed.experiments import (
    APP_PORT,
    EXPERIMENTS,
    IPERF_PORT,
    end_stdin_process,
    wait_listening,
    wait_ok,
)
from dctestbed.monitor import COUNTERS, counter_deltas, lost_events, parse_counters, parse_probe
from dctestbed.remote import RemoteTestbed
from dctestbed.testbed import ISOLATION, Testbed, cleanup, kernel_hz, run
from dctestbed.variants import (
    VariantError,
    Variants,
    is_bpf,
    module_file,
    module_of,
    module_params,
    module_srcversion,
    params_of,
)
from dctestbed.variants import (
    bpfcc as variants_bpfcc,
)

TOP = Path(__file__).resolve().parents[2]
RAW_HEADERS = {
    "completions": "cc,group,rep,kind,size_bytes,fct_us",
    "queue": "cc,group,rep,t_s,qlen_pkts,backlog_bytes",
    "probe": "cc,group,rep,t_s,flow,cwnd_pkts,srtt_us,inflight_bytes,snd_wnd_bytes",
    "counters": "cc,group,rep,host,name,value",
    "runs": "cc,group,rep,duration_s,tx_bytes,goodput_mbit,qdisc_drops,qdisc_marks,queue_samples,"
            "probe_lost",
    "flows": "cc,group,rep,flow,t_s,mbit",
    "cases": "cc,group,rep,case,count",
    "cpu": "cc,group,rep,host,busy_pct",
}
CASE_COUNT = Path("/sys/kernel/debug/tdctcp/case_count")


def say(msg):
    """A progress line.  In virtual time the guest's time of day means
    nothing to whoever waits: scripts/vm-run.sh stamps the line with the
    host's wall clock instead (dctestbed.wallclock)."""
    if opt.clock() == "virtual":
        print(msg, flush=True)
    else:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def prepare_kernel(ccs):
    """Modules for every selected congestion control (this tree's builds of
    xdctcp/tdctcp when present), the qdiscs, tracefs, and the allowed list
    non-initial namespaces need."""
    for mod in ("sch_htb", "sch_red", "openvswitch", "vrf"):
        run(["modprobe", mod], check=False)
    for cc in ccs:
        if cc in opt.available_ccs():
            continue
        if is_bpf(cc):
            run([TOP / "scripts" / "bpf-cc", "load", cc])
            continue
        ko = module_file(cc)
        if ko.exists():
            run(["insmod", ko])
        else:
            run(["modprobe", f"tcp_{cc}"])
    if not os.path.ismount("/sys/kernel/tracing"):
        run(["mount", "-t", "tracefs", "none", "/sys/kernel/tracing"], check=False)
    if not os.path.ismount("/sys/kernel/debug"):
        run(["mount", "-t", "debugfs", "none", "/sys/kernel/debug"], check=False)
    allowed = Path("/proc/sys/net/ipv4/tcp_allowed_congestion_control")
    names = set(allowed.read_text().split()) | set(ccs)
    allowed.write_text(" ".join(sorted(names)) + "\n")


class RawFiles:
    """raw/<name>.csv, appended run by run."""

    def __init__(self, raw):
        raw.mkdir(parents=True, exist_ok=True)
        self.files = {}
        for name, header in RAW_HEADERS.items():
            f = open(raw / f"{name}.csv", "w", newline="")  # noqa: SIM115 - closed in close()
            f.write(header + "\n")
            self.files[name] = f

    def add(self, name, key, rows):
        w = csv.writer(self.files[name])
        for r in rows:
            w.writerow((*key, *r))
        self.files[name].flush()

    def close(self):
        for f in self.files.values():
            f.close()


def host_counters(host):
    """nstat counters of a host: a Mininet host's read through its
    shell's /proc entry (no process started), a remote one's over SSH."""
    if getattr(host, "remote", False):
        return parse_counters(host.run("cat /proc/net/netstat /proc/net/snmp").stdout)
    text = ""
    for name in ("netstat", "snmp"):
        text += Path(f"/proc/{host.pid}/net/{name}").read_text()
    return parse_counters(text)


def iperf_mbit(tb, src, dst, seconds, nbytes=None):
    """What one iperf3 flow src -> dst carries, in Mbit/s: for seconds,
    or for nbytes when given."""
    srv = dst.popen(["iperf3", "-s", "-1", "-p", str(IPERF_PORT + 99)])
    try:
        wait_listening(dst, [IPERF_PORT + 99])
        amount = ["-n", str(nbytes)] if nbytes else ["-t", str(seconds)]
        cli = src.popen(["iperf3", "-c", dst.IP(), "-p", str(IPERF_PORT + 99), *amount,
                         "-J", "--connect-timeout", "5000"])
        res = json.loads(wait_ok(cli, "capacity iperf3", seconds + 30))
        return res["end"]["sum_received"]["bits_per_second"] / 1e6
    finally:
        if srv.poll() is None:
            srv.kill()
        srv.wait()


def base_rtt_us(src, dst):
    """min and median of 20 pings on the idle shaped path, in us."""
    out = src.cmd(f"ping -n -c 20 -i 0.05 -W 1 {dst.IP()}")
    rtts = sorted(float(x) * 1000 for x in re.findall(r"time=([\d.]+) ms", out))
    if not rtts:
        raise RuntimeError(f"no ping reply from {dst.name}: {out.strip()[-200:]}")
    return rtts[0], rtts[len(rtts) // 2]


class Monitor:
    """The queue sampler and tcp_probe recorder (dctestbed.monitor): here,
    or on the marking point of a --testbed (host, reached over SSH; queue
    samples only, copied back after each run)."""

    def __init__(self, dev, hz, probe_filter, host=None, tb=None):
        args = ["-m", "dctestbed.monitor", "--dev", dev, "--hz", str(hz),
                "--probe-filter", probe_filter]
        self.host, self.tb, self.queue_out = host, tb, None
        if host is not None:
            self.proc = host.popen(["python3", *args], python=True, stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        else:
            env = dict(os.environ, PYTHONPATH=str(TOP / "mininet"))
            self.proc = subprocess.Popen(
                [sys.executable, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                env=env, start_new_session=True)        # Ctrl-C goes to the runner, which stops it
        self._expect("ready")

    # the monitor answers within seconds; trace-cmd's start and stop are
    # themselves bounded at 60 s (dctestbed.monitor.Probe)
    ANSWER_S = 180

    def _expect(self, word):
        """The monitor's next line, which must be word: a monitor that does
        not answer in time is stopped and the run fails, rather than wait."""
        ready, _, _ = select.select([self.proc.stdout], [], [], self.ANSWER_S)
        line = self.proc.stdout.readline().strip() if ready else None
        if line is None:
            self.proc.kill()
            raise RuntimeError(f"monitor: no answer in {self.ANSWER_S} s (expected {word!r})")
        if line != word:
            raise RuntimeError(f"monitor: expected {word!r}, got {line!r}")

    def start(self, queue_out, probe_out=None):
        self.queue_out = queue_out
        if self.host is not None:
            queue_out, probe_out = self.tb.path_on(self.host, queue_out), None
        self.proc.stdin.write(f"start {queue_out} {probe_out or ''}\n")
        self.proc.stdin.flush()
        self._expect("ok")

    def stop(self):
        self.proc.stdin.write("stop\n")
        self.proc.stdin.flush()
        self._expect("ok")
        if self.host is not None:
            self.tb.fetch(self.host, self.queue_out)

    def close(self):
        end_stdin_process(self.proc)


def emulation():
    """uml (User-Mode Linux, virtual time), vm under virtme-ng (software
    emulation unless KVM), else native."""
    cmdline = Path("/proc/cmdline").read_text()
    if "time-travel" in cmdline:
        return "uml"
    return "vm" if "virtme" in cmdline else "native"


def source_revision(top=TOP):
    """The git commit of the tree a run came from, with "-dirty" when a
    tracked file outside results/ (where runs write, this one included)
    has uncommitted changes; None outside a git checkout."""
    git = ["git", "-c", "safe.directory=*", "-C", str(top)]
    try:
        head = subprocess.run([*git, "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, timeout=30)
        if head.returncode != 0:
            return None
        status = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no", "--",
                                 ".", ":(exclude)results"],
                                capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return head.stdout.strip() + ("-dirty" if status.stdout.strip() else "")


def fmt_time(s):
    return f"{int(s) // 60}:{int(s) % 60:02d}"


def check_capacity(o, exp, tb, params):
    """Wall clock: measure the unshaped capacity of the longest path and
    choose or check the rate.  In virtual time CPU work is free, so an
    unshaped path has no capacity to measure: the rate is the option's."""
    if o.clock == "virtual":
        params["rate_mbit"] = o.rate
        say(f"virtual time: rate {o.rate:g} Mbit/s (no unshaped capacity to measure)")
        return
    if getattr(tb, "remote", False) and not tb.rig.marking:
        params["rate_mbit"] = o.rate
        say(f"external switch: rate {o.rate:g} Mbit/s as configured there")
        return
    src, dst = exp.pair(tb)
    say(f"capacity check: unshaped iperf3 {src.name} -> {dst.name}, 2 x {o.capacity_seconds} s")
    # the better of two: emulation noise only ever lowers a measurement
    samples = [iperf_mbit(tb, src, dst, o.capacity_seconds) for _ in range(2)]
    cap = max(samples)
    params["capacity_mbit"] = round(cap, 1)
    params["capacity_samples_mbit"] = [round(c, 1) for c in samples]
    safe = cap * o.safe_fraction
    if o.rate is None:
        fitting = [r for r in opt.RATE_LADDER if r <= safe]
        if not fitting:
            raise opt.OptionError(f"--rate: the path carries only {cap:.1f} Mbit/s unshaped; "
                                  f"no rate of {opt.RATE_LADDER} is within {o.safe_fraction:.0%} of it")
        o.rate = fitting[0]
        say(f"capacity {cap:.1f} Mbit/s: rate {o.rate:g} Mbit/s (the highest within "
            f"{o.safe_fraction:.0%} of it)")
    elif o.rate > safe:
        msg = (f"--rate {o.rate:g} Mbit/s exceeds {o.safe_fraction:.0%} of the measured capacity "
               f"{cap:.1f} Mbit/s: the emulated path cannot carry it faithfully")
        if not o.force:
            raise opt.OptionError(msg + " (use --force to run anyway)")
        say(f"WARNING: {msg}; running anyway (--force)")
        params["warning"] = msg
    else:
        say(f"capacity {cap:.1f} Mbit/s: rate {o.rate:g} Mbit/s passes")
    params["rate_mbit"] = o.rate


def check_carried(o, exp, tb, params):
    """One long flow over the shaped longest path: the testbed must carry
    --carried-fraction of the shaped rate, on every testbed, or every run
    of the experiment is invalid (recorded; refused without --force)."""
    src, dst = exp.pair(tb)
    if o.clock == "virtual":
        # a quarter of a second's worth: each packet costs the host's time, not the guest's
        got = iperf_mbit(tb, src, dst, 60, nbytes=max(1 << 20, int(o.rate * 1e6 / 8 / 4)))
    else:
        got = iperf_mbit(tb, src, dst, 1)
    params["carried_mbit"] = round(got, 1)
    params["carried_fraction"] = round(got / o.rate, 4)
    if got >= o.carried_fraction * o.rate:
        say(f"shaped path: one flow carried {got:.1f} of {o.rate:g} Mbit/s")
        return
    msg = (f"the shaped path carried {got:.1f} of {o.rate:g} Mbit/s ({got / o.rate:.0%}, less than "
           f"--carried-fraction {o.carried_fraction:g}): this testbed cannot run at that rate")
    params["invalid"] = msg
    if not o.force:
        raise opt.OptionError(f"--rate {o.rate:g}: {msg} (use --force to record it anyway)")
    say(f"WARNING: {msg}; running anyway (--force), every run marked invalid")


def read_cases(cc="tdctcp", tb=None):
    """tdctcp's (or bpf_tdctcp's) decisions per case so far, {case: count}."""
    if getattr(tb, "remote", False):
        return tb.read_cases()
    if is_bpf(cc):
        return variants_bpfcc().case_counts()[3]
    try:
        text = CASE_COUNT.read_text()
    except OSError:
        return {}
    return {int(c): int(n) for c, n in (line.split() for line in text.splitlines())}


@dataclass
class RunStart:
    """What one run's record is measured against."""
    hosts: list
    counters: dict
    qdisc: dict
    t0: float
    probe_out: Path | None
    cases: dict
    cpu: dict


def one_run(o, exp, tb, files, mon, bottleneck, key, label, tmp, variants):
    """One run of variant label; key (run label, group, rep) names its rows.
    mon None: without the monitors."""
    _, group, rep = key
    cc = module_of(label)
    variants.apply(label)
    hosts = exp.hosts(tb, group)
    tb.set_default_cc(exp.default_cc_hosts(tb, group), cc)
    for f in tmp.glob("*"):
        f.unlink()
    probe = rep < o.probe_reps and mon and not getattr(tb, "remote", False)
    start = RunStart(hosts, {h.name: host_counters(h) for h in hosts}, tb.qdisc_stats(bottleneck),
                     0.0, tmp / "probe.txt" if probe else None,
                     read_cases(cc, tb) if cc in ("tdctcp", "bpf_tdctcp") else {}, tb.cpu_busy())
    if o.jitter_us:
        time.sleep(start_jitter_s(o, rep))
    if mon:
        mon.start(tmp / "queue.csv", start.probe_out)
    start.t0 = time.monotonic()
    rows, goodput = {}, 0.0
    try:
        rows = exp.run(tb, tmp, cc, group, rep)
    finally:
        with deferred_interrupts():
            goodput = record(files, key, rows, start, mon, tb, bottleneck, tmp)
    return rows, goodput


def start_jitter_s(o, rep):
    """The delay before repetition rep's runs start, in seconds: drawn
    from --seed and rep alone, so every control of a repetition gets the
    same (the runs stay paired) and repetitions differ."""
    import random
    return random.Random(o.seed * 1_000_003 + rep).uniform(0, o.jitter_us) / 1e6


def record(files, key, rows, start, mon, tb, bottleneck, tmp):
    """Write one run's raw data and return its goodput in Mbit/s; runs.csv
    last, so a row there means the run's other files are complete."""
    # incast: the time queries were outstanding, not process start-up
    duration = rows.get("busy_s") or time.monotonic() - start.t0
    if mon:
        mon.stop()
    q1 = tb.qdisc_stats(bottleneck)
    for h in start.hosts:
        d = counter_deltas(start.counters[h.name], host_counters(h))
        files.add("counters", key, [(h.name, n, d[n]) for n in COUNTERS])
    samples = []
    if (tmp / "queue.csv").exists():
        with open(tmp / "queue.csv") as f:
            samples = [line.rstrip().split(",") for line in f]
        files.add("queue", key, samples)
    probe_lost = ""                 # no tcp_probe in this run
    if start.probe_out and start.probe_out.exists():
        with open(start.probe_out, errors="replace") as f:
            lines = f.readlines()
        files.add("probe", key, parse_probe(lines))
        probe_lost = lost_events(lines)
    if start.cases:
        cases1 = read_cases(module_of(key[0]), tb)
        files.add("cases", key, [(c, cases1[c] - start.cases[c]) for c in sorted(cases1)])
    files.add("completions", key, rows.get("completions", []))
    files.add("flows", key, rows.get("flows", []))
    cpu1 = tb.cpu_busy()
    files.add("cpu", key, [(h, round(100 * (cpu1[h][0] - b0) / max(1, cpu1[h][1] - t0), 1))
                           for h, (b0, t0) in start.cpu.items() if h in cpu1])
    tx = q1["bytes"] - start.qdisc["bytes"]
    goodput = tx * 8 / duration / 1e6

    def delta(name):            # None: a switch whose counters nobody can read
        return "" if q1[name] is None else q1[name] - start.qdisc[name]

    files.add("runs", key, [(round(duration, 6), tx, round(goodput, 3), delta("drops"),
                             delta("marks"), len(samples), probe_lost)])
    return goodput


@contextlib.contextmanager
def deferred_interrupts():
    """Hold Ctrl-C (and SIGTERM, which the runner turns into it) until the
    block is done, then raise it: a run's raw data is written whole."""
    pending = []
    old = {sig: signal.signal(sig, lambda s, frame: pending.append(s))
           for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
    if pending:
        raise KeyboardInterrupt


def progress(i, total, t_start, key, rows, goodput, o, kind):
    cc, group, rep = key
    done = time.monotonic() - t_start
    eta = done / i * (total - i)
    bar = "#" * (20 * i // total) + "." * (20 - 20 * i // total)
    fcts = sorted(f for k, _, f in rows.get("completions", []) if k == kind)
    what = f"{len(fcts)} {kind}, p99 {fcts[min(len(fcts) - 1, int(0.99 * len(fcts)))] / 1000:.1f} ms, " \
        if fcts else ""
    g = f"{group} " if group else ""
    # in virtual time the host's filter adds the wall-clock elapsed and eta
    when = f"  virtual time {fmt_time(done)}" if o.clock == "virtual" else \
        f"  elapsed {fmt_time(done)} eta {fmt_time(eta)}"
    say(f"[{bar}] {i}/{total} {g}{cc} rep {rep + 1}: {what}goodput {goodput:.1f}/{o.rate:g} Mbit/s"
        + when)


def execute(o, argv):
    """Run the experiment of checked options o; return the run directory."""
    exp = EXPERIMENTS[o.experiment](o)
    rig = remote_rig(o) if o.testbed else None
    out = Path(o.out)
    if out.exists():
        shutil.rmtree(out / "raw", ignore_errors=True)
        shutil.rmtree(out / "plots", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "tmp"
    tmp.mkdir(exist_ok=True)
    groups = exp.groups()
    params = {
        "experiment": o.experiment, "ccs": o.labels, "groups": groups,
        "group_name": exp.group_name,
        "reps": o.reps, "rate_mbit": o.rate, "k_pkts": o.k, "buffer_pkts": o.buffer,
        "rto_min_ms": o.rto_min_ms, "kernel": platform.release(),
        "isolation": ISOLATION,
        "kernel_build": platform.version(),
        "emulation": emulation(), "clock": o.clock, "switch": o.switch,
        # the timer rate of the kernel the hosts run (TCP's timers count its ticks)
        "kernel_hz": kernel_hz(),
        "added_rtt_us": o.rtt_us,
        "source": source_revision(),
        "command": "python3 -m dctestbed " + " ".join(argv),
        # in virtual time the host records the wall-clock start and end
        # (python3 -m dctestbed report --started/--finished)
        ("virtual_started" if o.clock == "virtual" else "started"):
            datetime.now(UTC).isoformat(timespec="seconds"),
        "options": o.as_dict(),
    }
    if o.experiment in ("incast", "fattree"):
        params["response_bytes"] = o.bytes
    say(f"{o.experiment}: {', '.join(o.ccs)}; {exp.group_name or 'groups'} {groups}; "
        f"{o.reps} reps; output {out}")
    if rig:
        params.update(emulation="none: hosts over SSH", switch="inventory", testbed=rig.describe())
    else:
        prepare_kernel(o.modules)
    variants = Variants(o.ccs)
    try:
        variants.validate()
    except VariantError as e:
        raise opt.OptionError(str(e)) from None
    # each label's overrides on top of the modules' parameters as loaded
    params["variants"] = {label: params_of(label) for label in o.ccs}
    if rig:
        info = rig.module_info(o.modules)
        params["module_params"] = {m: info[m]["params"] for m in o.modules}
        params["module_srcversion"] = {m: info[m]["srcversion"] for m in o.modules}
        tb = RemoteTestbed(rig)
    else:
        params["module_params"] = {m: module_params(m) for m in o.modules}
        params["module_srcversion"] = {m: module_srcversion(m) for m in o.modules}
        cleanup(o.switch)
        tb = Testbed(exp.topo(), o.switch)
    files = RawFiles(out / "raw")
    mon = None
    interrupted = None

    def on_term(signum, frame):
        raise KeyboardInterrupt

    old_term = signal.signal(signal.SIGTERM, on_term)
    try:
        t = time.monotonic()
        say("building the network")
        tb.start()
        if rig:
            params["kernel_hz"] = rig.hz()
            say(f"hosts ready in {time.monotonic() - t:.0f} s: {len(tb.net.hosts)} hosts over SSH, "
                f"marking point {rig.inv.marking.name} ({rig.inv.marking.marking})")
        else:
            say(f"network up in {time.monotonic() - t:.0f} s: {len(tb.net.hosts)} hosts, "
                f"{len(tb.net.switches)} switches")
        check_capacity(o, exp, tb, params)
        tb.shape(o.port())
        tb.delay_hosts(o.rtt_us)
        check_carried(o, exp, tb, params)
        bottleneck = tb.bottleneck_of(exp)
        src, dst = exp.pair(tb)
        rtt_min, rtt_med = base_rtt_us(src, dst)
        params.update(base_rtt_us=round(rtt_min, 1), base_rtt_median_us=round(rtt_med, 1),
                      bottleneck=bottleneck)
        say(f"base RTT {src.name} -> {dst.name}: min {rtt_min:.0f} us, median {rtt_med:.0f} us")
        tb.init_hosts(o.rto_min_ms)
        exp.setup(tb)
        if o.monitor and rig and rig.marking:
            mon = Monitor(bottleneck, o.hz, "", host=rig.marking, tb=tb)
        elif o.monitor and not rig:
            mon = Monitor(bottleneck, o.hz, exp_probe_filter(o.experiment))
        total = len(groups) * o.reps * len(o.labels)
        i, t_start = 0, time.monotonic()
        for group in groups:
            exp.enter_group(tb, group)
            for rep in range(o.reps):
                for label, arm in run_order(o, rep):
                    key = (arm, group, rep)
                    monitored = mon if arm.endswith(opt.MONITOR_ARMS[0]) or not o.monitor_ab else None
                    rows, goodput = one_run(o, exp, tb, files, monitored, bottleneck, key, label,
                                            tmp, variants)
                    i += 1
                    progress(i, total, t_start, key, rows, goodput, o, exp.kind)
        # what the runs left in the hosts' TCP metrics caches: nothing, when
        # no connection could hand its RTT or reordering to the next
        params["tcp_metrics_cached"] = tb.cached_metrics()
    except KeyboardInterrupt:
        interrupted = "interrupted (Ctrl-C or SIGTERM)"
    except Exception as e:      # keep the data and clean up, then report the failure
        interrupted = f"failed: {e}"
        if isinstance(e, opt.OptionError):
            raise
        if not isinstance(e, RuntimeError):     # not one of ours with its own message: a bug
            traceback.print_exc()
    finally:
        signal.signal(signal.SIGTERM, old_term)
        # each step on its own: one failing must not keep the next, or the
        # params.json that makes the raw data readable, from happening
        for step in (variants.restore, mon.close if mon else None, exp.teardown, tb.stop,
                     rig.close if rig else lambda: cleanup(o.switch)):
            if step is None:
                continue
            try:
                step()
            except Exception as e:      # noqa: BLE001 - reported, the rest still runs
                say(f"clean-up: {step.__qualname__} failed: {e}")
                interrupted = interrupted or f"failed in clean-up: {e}"
        files.close()
        shutil.rmtree(tmp, ignore_errors=True)
        params["virtual_finished" if o.clock == "virtual" else "finished"] = \
            datetime.now(UTC).isoformat(timespec="seconds")
        if interrupted:
            params["interrupted"] = interrupted
        (out / "params.json").write_text(json.dumps(params, indent=2) + "\n")
    if interrupted:
        say(f"{interrupted}; raw data so far kept in {out / 'raw'}")
    return out, interrupted


def remote_rig(o):
    """A --testbed's hosts checked, cleared of an earlier run's programs
    and deployed: OptionError, naming the host, before anything starts."""
    from dctestbed.remote import Rig
    rig = Rig(o)
    try:
        names = ", ".join(h.inv.name for h in rig.machines())
        say(f"testbed {o.testbed}: checking {len(rig.machines())} hosts over SSH ({names})")
        rig.preflight()
        rig.cleanup()
        say(f"deploying the testbed package and {', '.join(o.modules)}")
        rig.deploy(o.modules)
    except BaseException:
        rig.close()
        raise
    return rig


def run_order(o, rep):
    """[(variant label, run label)] of repetition rep: the controls' order
    rotates by one each repetition, so none always runs first; with
    --monitor-ab the two arms of each control swap order every repetition."""
    ccs = o.ccs[rep % len(o.ccs):] + o.ccs[:rep % len(o.ccs)]
    out = []
    for label in ccs:
        arms = o.run_labels(label)
        out += [(label, arm) for arm in (arms if rep % 2 == 0 else arms[::-1])]
    return out


def exp_probe_filter(name):
    """tcp_probe on the data senders only: the app servers (sport) and
    iperf3 clients (dport)."""
    return (f"(sport >= {APP_PORT} && sport < {APP_PORT + 20}) || "
            f"(dport >= {IPERF_PORT} && dport < {IPERF_PORT + 50})")
