"""The experiments: what topology each builds, what it sweeps, what one
run does.  The runner (dctestbed.runner) owns the loop, the monitors and
the raw files; an experiment only starts traffic and returns rows.

Every run(...) returns a dict of raw rows:
  "completions": [(kind, size_bytes, fct_us)], "flows": [(flow, t_s, mbit)]
and "busy_s", the seconds the traffic ran, over which goodput is computed.
"""

import json
import random
import subprocess
import sys
import time
from pathlib import Path

from dctestbed import workload
from dctestbed.topo import DumbbellTopo, FatTreeTopo, StarTopo

PKG_DIR = Path(__file__).resolve().parents[1]       # mininet/, for PYTHONPATH
APP_PORT = 5001
IPERF_PORT = 5201
SHORT_BYTES = 20_000
BACKGROUND_MAX_S = 3600         # incast background flows run until the queries end
BACKGROUND_WARMUP_S = 2.0       # ... and start this long before them
# the fat-tree's fixed source ports: repetition r's flows start at
# SPORT_BASE + (r mod SPORT_CYCLE) * SPORT_STRIDE, below the ephemeral range
SPORT_BASE, SPORT_STRIDE, SPORT_CYCLE = 20000, 1000, 12


def app(host, *args, **popen):
    """Start dctestbed.flowapp in a host: a Mininet host, or one reached
    over SSH (dctestbed.ssh) where the package was copied."""
    if getattr(host, "remote", False):
        return host.popen(["python3", "-m", "dctestbed.flowapp", *map(str, args)], python=True, **popen)
    cmd = [sys.executable, "-m", "dctestbed.flowapp", *map(str, args)]
    return host.popen(cmd, env={"PYTHONPATH": str(PKG_DIR), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
                      **popen)


def end_stdin_process(proc, timeout=10):
    """Stop a helper driven by stdin lines: end its input, then kill it if
    it has not exited within timeout seconds."""
    if proc.poll() is None:
        proc.stdin.close()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_ok(proc, what, timeout):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise RuntimeError(f"{what}: no result after {timeout:.0f} s") from None
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed ({proc.returncode}): {err.strip()[-400:]}")
    return out


def read_completions(path):
    rows = []
    if Path(path).exists():
        for line in Path(path).read_text().splitlines():
            kind, size, fct = line.split(",")
            rows.append((kind, int(size), float(fct)))
    return rows


def iperf_intervals(result, flow):
    """(flow, t_s, mbit) per interval of an iperf3 -J result."""
    out = []
    for iv in result.get("intervals", []):
        s = iv["sum"]
        out.append((flow, round(s["end"], 3), round(s["bits_per_second"] / 1e6, 3)))
    return out


class Experiment:
    name = ""
    group_name = ""
    kind = "query"

    def __init__(self, opts):
        self.opts = opts
        self.servers = []

    def groups(self):
        return [""]

    def topo(self):
        raise NotImplementedError

    def pair(self, tb):
        """(sender, receiver) across the longest path, for the capacity check."""
        raise NotImplementedError

    def bottleneck(self, tb):
        """The switch port whose queue is monitored."""
        raise NotImplementedError

    def hosts(self, tb, group):
        """Hosts whose counters are read."""
        return tb.net.hosts

    def default_cc_hosts(self, tb, group):
        """Hosts whose namespace default must be the run's congestion
        control (iperf3 does not choose one per socket)."""
        return tb.net.hosts

    def port(self, cc):
        """The app servers listen on one port per congestion control."""
        return APP_PORT + self.opts.modules.index(cc)

    def app_server(self, host):
        self.servers.append(app(host, "server", "--port", APP_PORT, "--cc", ",".join(self.opts.modules)))

    def setup(self, tb):
        """Start long-lived servers."""

    def enter_group(self, tb, group):
        """Change what a group changes (K for the K sweep)."""

    def run(self, tb, rundir, cc, group, rep):
        raise NotImplementedError

    def teardown(self):
        for p in self.servers:
            if p.poll() is None:
                p.kill()
            p.wait()

    def iperf_servers(self, host, count):
        """One-off iperf3 servers, started in each run after the namespace
        default is set: a listener takes the default when it is created."""
        for i in range(count):
            self.servers.append(host.popen(["iperf3", "-s", "-1", "-p", str(IPERF_PORT + i)]))
        wait_listening(host, [IPERF_PORT + i for i in range(count)])

    def iperf(self, client, server, port, seconds, delay=0.0, cport=0):
        cmd = f"exec iperf3 -c {server.IP()} -p {port} -t {seconds} -i 0.5 -J --connect-timeout 5000"
        if cport:
            cmd += f" --cport {cport}"
        if delay:
            cmd = f"sleep {delay}; {cmd}"
        return client.popen(["sh", "-c", cmd])


def wait_listening(host, ports, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = host.cmd("ss -ltnH")
        if all(f":{p} " in out for p in ports):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{host.name}: nothing listening on {ports}")


class LineHelper:
    """A flowapp program in a host driven by stdin lines, each answered by
    one line on stdout."""

    def __init__(self, host, *args, ready):
        self.host, self.what = host, args[0]
        self.proc = app(host, *args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._expect(ready)

    def _expect(self, prefix):
        line = self.proc.stdout.readline().strip()
        if not line.startswith(prefix):
            err = self.proc.stderr.read() if self.proc.poll() is not None and self.proc.stderr else ""
            raise RuntimeError(f"{self.host.name}: flowapp {self.what}: {line or 'exited'} "
                               f"{err.strip()[-300:]}")

    def request(self, line, answer):
        self.proc.stdin.write(f"{line}\n")
        self.proc.stdin.flush()
        self._expect(answer)

    def close(self):
        end_stdin_process(self.proc)


class Aggregator(LineHelper):
    """One long-lived flowapp aggregator: incast runs on request."""

    def __init__(self, host):
        super().__init__(host, "aggregator", ready="ready")

    def run(self, cc, workers, port, nbytes, queries, out, gap_ms=0, sport=0):
        self.request(f"{cc} {','.join(workers)} {port} {nbytes} {queries} {gap_ms} {out} {sport}", "done")


class SwitchedServer(LineHelper):
    """A flowapp server on one port whose listener's congestion control
    is chosen before each run."""

    def __init__(self, host):
        super().__init__(host, "server", "--port", APP_PORT, "--switched", ready="listening on")

    def select(self, cc):
        self.request(cc, f"cc {cc}")


def close_aggregator(exp):
    if getattr(exp, "agg", None):
        exp.agg.close()
        exp.agg = None


def peer_port(host):
    """The switch port facing host (the last hop to it)."""
    link = host.defaultIntf().link
    return link.intf2.name if link.intf1.node is host else link.intf1.name


class Incast(Experiment):
    """An aggregator (h1) queries N workers over persistent connections;
    each answers S/N bytes.  Bottleneck: the switch port to h1.  With
    --background B, B more hosts send long iperf3 flows to h1 through the
    same port while the queries run (the DCTCP paper's Table 2)."""
    name, group_name, kind = "incast", "N", "query"

    def groups(self):
        return [str(n) for n in self.opts.n]

    def topo(self):
        return StarTopo(n=max(self.opts.n) + 1 + self.opts.background)

    def pair(self, tb):
        return tb.host("h2"), tb.host("h1")

    def senders(self, tb):
        """The background hosts, after the largest group of workers."""
        first = max(self.opts.n) + 2
        return [tb.host(f"h{i}") for i in range(first, first + self.opts.background)]

    def bottleneck(self, tb):
        return peer_port(tb.host("h1"))

    def workers(self, tb, n):
        return [tb.host(f"h{i}") for i in range(2, n + 2)]

    def hosts(self, tb, group):
        return [tb.host("h1"), *self.workers(tb, int(group)), *self.senders(tb)]

    def default_cc_hosts(self, tb, group):
        # the app's sockets choose their congestion control; iperf3 cannot
        return [tb.host("h1"), *self.senders(tb)] if self.opts.background else []

    def setup(self, tb):
        for w in self.workers(tb, max(self.opts.n)):
            self.app_server(w)
        self.agg = Aggregator(tb.host("h1"))

    def teardown(self):
        close_aggregator(self)
        super().teardown()

    def run(self, tb, rundir, cc, group, rep):
        agg = tb.host("h1")
        out = rundir / "qct.csv"
        workers = [w.IP() for w in self.workers(tb, int(group))]
        background = []
        if self.opts.background:
            self.iperf_servers(tb.host("h1"), self.opts.background)
            background = [self.iperf(h, tb.host("h1"), IPERF_PORT + i, BACKGROUND_MAX_S)
                          for i, h in enumerate(self.senders(tb))]
            time.sleep(BACKGROUND_WARMUP_S)
        try:
            self.agg.run(cc, workers, self.port(cc), self.opts.bytes, self.opts.queries,
                         tb.path_on(agg, out))
        finally:
            for p in background:    # the servers end with their client
                p.kill()
                p.wait()
            tb.fetch(agg, out)
        rows = read_completions(out)
        if background:      # the port was busy all along: goodput over the whole run
            return {"completions": rows}
        return {"completions": rows, "busy_s": sum(r[2] for r in rows) / 1e6}


class QueueBuildup(Experiment):
    """Two long flows h1, h2 -> r share the s1 -> s2 bottleneck with 20 KB
    request/responses that r fetches from h3 every interval."""
    name, group_name, kind = "queue-buildup", "", "short"

    def topo(self):
        return DumbbellTopo(n=3)

    def pair(self, tb):
        return tb.host("h1"), tb.host("r")

    def bottleneck(self, tb):
        return tb.net.linksBetween(tb.net.get("s1"), tb.net.get("s2"))[0].intf1.name

    def setup(self, tb):
        self.app_server(tb.host("h3"))

    def run(self, tb, rundir, cc, group, rep):
        d = self.opts.duration
        self.iperf_servers(tb.host("r"), 2)
        longs = [self.iperf(tb.host(f"h{i + 1}"), tb.host("r"), IPERF_PORT + i, d) for i in range(2)]
        sched = rundir / "schedule.csv"
        warm, gap = 1.0, self.opts.interval_ms / 1000
        starts = [warm + i * gap for i in range(int((d - warm - 1) / gap))]
        sched.write_text("".join(f"{t:.3f},{SHORT_BYTES}\n" for t in starts))
        out, r = rundir / "fct.csv", tb.host("r")
        p = app(r, "flows", "--server", tb.host("h3").IP(), "--port", self.port(cc),
                "--schedule", tb.path_on(r, sched), "--kind", "short", "--out", tb.path_on(r, out),
                "--cc", cc)
        wait_ok(p, "short flows", timeout=d + 60)
        tb.fetch(r, out)
        flows = []
        for i, lp in enumerate(longs):
            flows += iperf_intervals(json.loads(wait_ok(lp, "iperf3", d + 30)), f"h{i + 1}")
        return {"completions": read_completions(out), "flows": flows, "busy_s": d}


class KSweep(Experiment):
    """Two long flows through the dumbbell bottleneck for each K."""
    name, group_name, kind = "k-sweep", "K", "flow"

    def groups(self):
        return [str(k) for k in self.opts.k_list]

    topo, pair, bottleneck = QueueBuildup.topo, QueueBuildup.pair, QueueBuildup.bottleneck

    def enter_group(self, tb, group):
        tb.shape(self.opts.port(k=int(group)))

    def run(self, tb, rundir, cc, group, rep):
        d = self.opts.duration
        self.iperf_servers(tb.host("r"), 2)
        longs = [self.iperf(tb.host(f"h{i + 1}"), tb.host("r"), IPERF_PORT + i, d) for i in range(2)]
        flows = []
        for i, lp in enumerate(longs):
            flows += iperf_intervals(json.loads(wait_ok(lp, "iperf3", d + 30)), f"h{i + 1}")
        return {"flows": flows, "busy_s": d}


class Convergence(Experiment):
    """Flows join one by one every step seconds, then leave in reverse."""
    name, group_name, kind = "convergence", "", "flow"

    def topo(self):
        return DumbbellTopo(n=self.opts.flows)

    pair, bottleneck = QueueBuildup.pair, QueueBuildup.bottleneck

    def run(self, tb, rundir, cc, group, rep):
        n, step = self.opts.flows, self.opts.step
        self.iperf_servers(tb.host("r"), n)
        procs = []
        for i in range(n):
            seconds = (2 * (n - 1 - i) + 1) * step
            procs.append(self.iperf(tb.host(f"h{i + 1}"), tb.host("r"), IPERF_PORT + i, seconds,
                                    delay=i * step))
        flows = []
        for i, p in enumerate(procs):
            res = json.loads(wait_ok(p, "iperf3", (2 * n + 2) * step + 30))
            flows += [(f, round(t + i * step, 3), m) for f, t, m in iperf_intervals(res, f"h{i + 1}")]
        return {"flows": flows, "busy_s": (2 * n - 1) * step}


class FatTree(Experiment):
    """The thesis set-up: 15-to-1 incast on the k = 4 fat-tree, with two
    long background flows between other pods, web-search flows at a given
    load, and probe flows of 2 KB, 50 KB, 1 MB and 10 MB for FCT by size."""
    name, group_name, kind = "fattree", "", "query"

    def topo(self):
        return FatTreeTopo(k=4)

    def agg_host(self, tb):
        return tb.net.hosts[0]

    def pair(self, tb):
        return tb.net.hosts[-1], tb.net.hosts[0]

    def bottleneck(self, tb):
        return peer_port(self.agg_host(tb))

    def default_cc_hosts(self, tb, group):
        hosts = tb.net.hosts
        return [hosts[5], hosts[9], hosts[12], hosts[14]]      # the iperf3 pairs

    def port(self, cc):
        """One port for every control (the listener's control is set per
        run), so the five-tuples, and with them the paths, repeat."""
        return APP_PORT

    def setup(self, tb):
        self.switched = [SwitchedServer(h) for h in tb.net.hosts[1:]]
        self.agg = Aggregator(self.agg_host(tb))

    def sport_base(self, rep, flows):
        """Repetition rep's first fixed source port: the same for every
        control, so each repetition pairs the controls on one placement
        of the flows on the multipath routes, and repetitions sample
        different placements."""
        if flows > SPORT_STRIDE:
            raise ValueError(f"fattree: {flows} flows from one host in a run; at most {SPORT_STRIDE}")
        return SPORT_BASE + (rep % SPORT_CYCLE) * SPORT_STRIDE

    def teardown(self):
        close_aggregator(self)
        for s in getattr(self, "switched", []):
            s.close()
        self.switched = []
        super().teardown()

    def run(self, tb, rundir, cc, group, rep):
        hosts, d = tb.net.hosts, self.opts.duration
        rng = random.Random(self.opts.seed * 1000 + rep)
        web = workload.poisson_flows(rng, self.opts.load, self.opts.rate, d - 2)
        sizes = workload.FATTREE_PROBE_SIZES
        probes = [(1.0 + i * 1.5, sizes[i % len(sizes)]) for i in range(int((d - 3) / 1.5))]
        sport = self.sport_base(rep, max(len(web), len(probes), len(hosts)))
        for srv in self.switched:
            srv.select(cc)
        self.iperf_servers(hosts[5], 1)
        self.iperf_servers(hosts[9], 1)
        longs = [self.iperf(hosts[12], hosts[5], IPERF_PORT, d, cport=sport),
                 self.iperf(hosts[14], hosts[9], IPERF_PORT, d, cport=sport)]
        procs = []
        for name, plan, client, server in (("web", web, hosts[1], hosts[6]),
                                          ("probe", probes, hosts[2], hosts[10])):
            sched = rundir / f"{name}.csv"
            sched.write_text("".join(f"{t:.3f},{s}\n" for t, s in plan))
            procs.append(app(client, "flows", "--server", server.IP(), "--port", self.port(cc),
                             "--schedule", sched, "--kind", name, "--out", rundir / "fct.csv",
                             "--cc", cc, "--sport", sport))
        self.agg.run(cc, [h.IP() for h in hosts[1:]], self.port(cc), self.opts.bytes,
                     self.opts.queries, rundir / "qct.csv", gap_ms=100, sport=sport)
        for p in procs:
            wait_ok(p, "flows", timeout=d + 120)
        flows = []
        for i, lp in enumerate(longs):
            flows += iperf_intervals(json.loads(wait_ok(lp, "iperf3", d + 30)), f"bg{i}")
        return {"completions": read_completions(rundir / "qct.csv") + read_completions(rundir / "fct.csv"),
                "flows": flows, "busy_s": d}


EXPERIMENTS = {e.name: e for e in (Incast, QueueBuildup, KSweep, Convergence, FatTree)}
