"""The BPF struct_ops builds (make bpf; scripts/bpf-cc): bpf_xdctcp and
bpf_tdctcp register under their own names, are chosen like any congestion
control, carry ECN traffic with the module's alpha, take their parameters
with the module's range checks, and leave with their sockets as the kernel
handles a retiring BPF congestion control."""

import json
import socket
import sys
import threading
import time

import netlab
import pytest

sys.path.insert(0, str(netlab.TOP / "bpf"))
import bpfcc  # noqa: E402

# struct_ops needs BPF trampolines, which User-Mode Linux has not (no JIT)
pytestmark = pytest.mark.debian

BPF_CCS = netlab.BPF_CCS
bpf_cc = netlab.bpf_cc
registered = netlab.bpf_registered
params = netlab.bpf_params


@pytest.fixture(scope="module", autouse=True)
def bpf_loaded(kernel):
    for cc in BPF_CCS:
        if not (bpfcc.OBJECTS / f"tcp_{cc[4:]}.bpf.o").exists():
            pytest.fail(f"{bpfcc.OBJECTS}/tcp_{cc[4:]}.bpf.o is not built: run make bpf")
    if not netlab.sh(["mountpoint", "-q", "/sys/fs/bpf"], check=False).returncode == 0:
        netlab.sh(["mount", "-t", "bpf", "bpf", "/sys/fs/bpf"], check=False)
    # registered afresh: the objects' own defaults, whatever ran before
    bpf_cc("unload")
    bpf_cc("load")
    netlab.allow_in_namespaces()
    yield
    bpf_cc("unload")
    netlab.allow_in_namespaces()


class InfoSampler(threading.Thread):
    """Every period: the DCTCP record the BPF build keeps (what scripts/bpf-cc
    info prints) for the busiest socket ss sees in ns, iperf3's data stream
    rather than its control connection.  The map is read with bpftool
    directly: a whole bpf-cc run per sample would be too slow to sample."""

    def __init__(self, ns, dst, cc, period=0.2):
        super().__init__(daemon=True)
        self.ns, self.dst, self.cc, self.period = ns, dst, cc, period
        self.map_id = bpfcc.maps_of(cc)["dctcp_info"]
        self.records = []
        self.halt = threading.Event()

    def run(self):
        while not self.halt.wait(self.period):
            sock = netlab.data_socket(self.ns, self.dst)
            if not sock:
                continue
            local = sock["head"].split()[3]
            rec = next((r for r in bpfcc.sockets(self.cc, self.map_id) if r["local"] == local),
                       None)
            if rec:
                self.records.append(rec)

    def stop(self):
        self.halt.set()
        self.join(timeout=30)
        return self.records


def test_both_register_under_their_own_names():
    assert registered() == set(BPF_CCS)
    shown = netlab.sh("bpftool struct_ops show").stdout
    for cc in BPF_CCS:
        assert cc in shown


def test_load_twice_is_harmless_and_unknown_names_are_refused():
    out = bpf_cc("load", "tdctcp").stdout
    assert "already registered" in out
    p = bpf_cc("load", "nosuchcc", check=False)
    assert p.returncode == 22 and "unknown congestion control" in p.stderr


@pytest.mark.parametrize("cc", BPF_CCS)
def test_namespace_default_by_sysctl(lab, cc):
    a, b, _, _ = netlab.pair(lab, cc, cc)
    ss = netlab.SsSampler(lab, a, "10.77.0.2", period=0.2)
    netlab.iperf(lab, a, b, "10.77.0.2", seconds=2, bitrate="20M")
    samples = [s for s in ss.stop() if s]
    assert samples and {s["cc"] for s in samples} == {cc}


@pytest.mark.parametrize("cc", BPF_CCS)
def test_ip_route_congctl(lab, cc):
    a, b, da, _ = netlab.pair(lab, "cubic", cc)
    netlab.sh(["ip", "route", "add", "10.77.0.2/32", "dev", da, "congctl", cc], a)
    ss = netlab.SsSampler(lab, a, "10.77.0.2", period=0.2)
    netlab.iperf(lab, a, b, "10.77.0.2", seconds=2, bitrate="20M")
    samples = [s for s in ss.stop() if s]
    assert samples and {s["cc"] for s in samples} == {cc}


@pytest.mark.parametrize("cc", BPF_CCS)
def test_tcp_congestion_sockopt(cc):
    s = socket.socket()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
    assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0") == cc.encode()
    s.close()


@pytest.mark.parametrize("cc", BPF_CCS)
def test_ecn_traffic_is_marked_and_echoed(lab, cc):
    """Half the data marked CE on the way: the receiver echoes it (the
    sender's delivered_ce grows) and the sender's alpha leaves 0 and 1."""
    a, b, da, _ = netlab.pair(lab, cc, cc)
    netlab.mark_ce(a, da, 50)
    info = InfoSampler(a, "10.77.0.2", cc[4:])
    info.start()
    ss = netlab.SsSampler(lab, a, "10.77.0.2", period=0.2)
    netlab.iperf(lab, a, b, "10.77.0.2", seconds=3, bitrate="20M")
    socks = [s for s in ss.stop() if s]
    recs = info.stop()
    assert socks and max(s["delivered_ce"] for s in socks) > 0
    assert recs, "no DCTCP record for the data socket"
    assert 0 < netlab.median([r["alpha"] for r in recs[len(recs) // 2:]]) < 1024


@pytest.mark.parametrize("cc", BPF_CCS)
@pytest.mark.parametrize("p", [0, 10, 50, 100])
def test_alpha_converges_to_marking_fraction(lab, cc, p):
    """The module's test (test_04_alpha.py), on the BPF build, with its
    tolerance: |alpha/1024 - p| <= 0.1, at p = 10 % up to 2p + 0.02."""
    a, b, da, _ = netlab.pair(lab, cc, cc)
    if p:
        netlab.mark_ce(a, da, p)
    info = InfoSampler(a, "10.77.0.2", cc[4:])
    info.start()
    netlab.iperf(lab, a, b, "10.77.0.2", seconds=5, bitrate="20M")
    recs = info.stop()
    alphas = [r["alpha"] for r in recs[len(recs) // 5:]]
    assert len(alphas) >= 3
    got = netlab.median(alphas) / 1024
    print(f"{cc} p={p}%: alpha median {got:.3f} over {len(alphas)} samples: {alphas}")
    upper = 2 * p / 100 + 0.02 if p == 10 else p / 100 + 0.1
    assert p / 100 - 0.1 <= got <= upper


def test_without_ecn_the_socket_falls_back_to_reno(lab):
    """A peer that does not negotiate ECN: the BPF build switches the socket
    to the kernel's reno (the module switches to its own -reno operations)."""
    a, b, _, _ = netlab.pair(lab, "bpf_tdctcp", "cubic", ecn_b=0)
    ss = netlab.SsSampler(lab, a, "10.77.0.2", period=0.2)
    netlab.iperf(lab, a, b, "10.77.0.2", seconds=2, bitrate="20M")
    samples = [s for s in ss.stop() if s]
    assert samples and {s["cc"] for s in samples} == {"reno"}


def test_parameters_take_good_values_and_refuse_bad_ones():
    before = params("tdctcp")
    assert before["g"] == 64 and before["t_high_us"] == 50000
    try:
        bpf_cc("set", "tdctcp", "g=0x80", "addstep=2")
        assert params("tdctcp")["g"] == 128 and params("tdctcp")["addstep"] == 2
        for bad in ("g=0", "g=1025", "addstep=65", "theta=511", "t_low_us=60000",
                    "g=-1", "g=abc", "g=4294967296", "nosuch=1", "g"):
            p = bpf_cc("set", "tdctcp", bad, check=False)
            assert p.returncode == 22, (bad, p.stdout, p.stderr)
        # a refused assignment leaves the whole request unapplied
        p = bpf_cc("set", "tdctcp", "beta=256", "decre=2000", check=False)
        assert p.returncode == 22
        after = params("tdctcp")
        assert after["g"] == 128 and after["beta"] == before["beta"]
        # threshold pairs move in the order that keeps them apart
        bpf_cc("set", "tdctcp", "t_high_us=80000", "t_low_us=60000")
        assert params("tdctcp")["t_low_us"] == 60000
        assert bpf_cc("set", "xdctcp", "ns=512", "nl=512").returncode == 0
        assert params("xdctcp")["ns"] == 512
    finally:
        bpf_cc("set", "tdctcp", *(f"{k}={v}" for k, v in
                                   sorted(before.items(), key=lambda kv: kv[0] != "t_low_us")))
        bpf_cc("set", "xdctcp", "ns=307", "nl=1024")
    assert params("tdctcp") == before


def test_unregister_with_live_sockets(lab):
    """Unregistering while a connection uses it: new sockets can no longer
    choose it, the live one keeps running it to the end of its transfer,
    and the struct_ops map goes away once that socket is gone."""
    a, b, _, _ = netlab.pair(lab, "cubic", "cubic")
    srv = lab.spawn(["iperf3", "-s", "-1", "-p", "5301"], b)
    time.sleep(0.5)
    cli = lab.spawn(["iperf3", "-c", "10.77.0.2", "-p", "5301", "-t", "4", "-b", "20M",
                     "-C", "bpf_xdctcp", "-J"], a)
    time.sleep(1.5)
    try:
        bpf_cc("unload", "xdctcp")
        assert "bpf_xdctcp" not in registered()
        with pytest.raises(OSError):
            socket.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"bpf_xdctcp")
        busy = netlab.data_socket(a, "10.77.0.2")
        assert busy and busy["cc"] == "bpf_xdctcp"
        out, _ = cli.communicate(timeout=30)
        srv.wait(timeout=10)
        result = json.loads(out)
        assert cli.returncode == 0 and netlab.goodput_mbit(result) > 5
    finally:
        lab.close()
        bpf_cc("load", "xdctcp")
        netlab.allow_in_namespaces()
    deadline = time.monotonic() + 20
    names = []
    while time.monotonic() < deadline:
        names = [m.get("name") for m in json.loads(netlab.sh("bpftool -j struct_ops show").stdout)]
        if names.count("bpf_xdctcp") == 1:
            break
        time.sleep(0.5)
    assert names.count("bpf_xdctcp") == 1, names


# The differential: the module and the BPF build against the scripted peer
# of ackpeer.py, which answers every data segment with the same ACK (ECE on
# a fixed set of segment indices) whatever the sender does with its window.
# The thresholds make the RTT either always below T_low (cases 1 and 5) or
# always above T_high (2 and 6, applied at once with direct_decrease): the
# RTT samples themselves are times and differ between any two runs, so
# cases 3, 4, 7 and 8, which follow the RTT's change, cannot be compared
# packet for packet; alpha, the window arithmetic and every ECE reaction can.
#
# The peer answers in lock step (each ACK once the sender has been quiet
# for a few milliseconds), so no transmission of the sender is still on the
# veth when the next ACK arrives: the module against itself then makes
# exactly the same decisions run after run (three runs of each scenario,
# 2026-12-06), and the two builds must too.
ACKPEER = netlab.TOP / "tests" / "kernel" / "ackpeer.py"
SCRIPTED_BYTES = 1_000_000
SCENARIOS = {
    "rtt-below-t_low": ({"t_high_us": 100000000, "t_low_us": 100000000}, 10),
    "rtt-above-t_high": ({"t_low_us": 0, "t_high_us": 0, "direct_decrease": 1}, 30),
}
# back to the defaults, in an order every pair of thresholds accepts
RESTORE = ("t_high_us=100000000", "t_low_us=5000", "t_high_us=50000", "direct_decrease=0")


def scripted_run(cc, percent):
    """One transfer from a (running cc) to the scripted peer in b."""
    lab = netlab.Lab(prefix="dp")
    try:
        a = lab.host("a", cc)
        b = lab.host("b")
        da, db = lab.link(a, "10.77.0.1", b, "10.77.0.3")
        for name, value in (("net.ipv4.tcp_early_retrans", 0), ("net.ipv4.tcp_no_metrics_save", 1),
                            ("net.ipv4.tcp_wmem", f"4096 {4 * SCRIPTED_BYTES} {4 * SCRIPTED_BYTES}")):
            netlab.sysctl(name, value, a)
        mac_b = netlab.sh(["cat", f"/sys/class/net/{db}/address"], b).stdout.strip()
        mac_a = netlab.sh(["cat", f"/sys/class/net/{da}/address"], a).stdout.strip()
        netlab.sh(["ip", "neigh", "add", "10.77.0.2", "lladdr", mac_b, "dev", da,
                   "nud", "permanent"], a)
        peer = lab.spawn(["python3", ACKPEER, "peer", db, "--addr", "10.77.0.2",
                          "--sender-mac", mac_a, "--mark-percent", percent], b)
        assert peer.stdout.readline().strip() == "ready"
        sender = lab.spawn(["python3", ACKPEER, "send", "10.77.0.2", "5001", SCRIPTED_BYTES,
                            "--hold", "1"], a)
        result = json.loads(sender.stdout.readline())
        # alpha after the last window, which ended with nothing new sent
        # (the ACK of the last segment): ss for a module, the BPF build's
        # record otherwise, while the connection is still open
        result["alpha"] = record_alpha(cc, a, result["local"])
        sender.wait(timeout=30)
        peer.wait(timeout=30)
        return result
    finally:
        lab.close()


def record_alpha(cc, ns, local):
    """alpha in the DCTCP record of the connection from local: what ss
    shows for a module, what scripts/bpf-cc info shows for a BPF build."""
    if cc.startswith("bpf_"):
        recs = [r for r in bpfcc.sockets(cc[4:], bpfcc.maps_of(cc[4:])["dctcp_info"])
                if r["local"] == local]
        return recs[0]["alpha"] if recs else None
    socks = [s for s in netlab.ss_sockets(ns, "10.77.0.2") if s["head"].split()[3] == local]
    return socks[0]["dctcp"]["alpha"] if socks and socks[0]["dctcp"] else None


def module_param_set(values):
    for name, value in values.items():
        netlab.param("tdctcp", name, value)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_tdctcp_decides_as_the_module_on_the_same_acks(scenario, restore_params):
    """tdctcp's per-case decision counts, and the window it ends with, are
    exactly those of the module on the same ACK stream."""
    values, percent = SCENARIOS[scenario]
    module_param_set(values)
    netlab.reset_case_counts()
    module = scripted_run("tdctcp", percent)
    module_counts = netlab.case_counts()
    bpf_cc("set", "tdctcp", *(f"{k}={v}" for k, v in values.items()))
    try:
        bpfcc.reset_case_counts()
        bpf = scripted_run("bpf_tdctcp", percent)
        bpf_counts = bpfcc.case_counts()[3]
    finally:
        bpf_cc("set", "tdctcp", *RESTORE)
    print(f"{scenario}: module {module} {module_counts}; bpf {bpf} {bpf_counts}")
    assert module["cc"] == "tdctcp" and bpf["cc"] == "bpf_tdctcp"
    assert module["total_retrans"] == 0 and bpf["total_retrans"] == 0, "a timer fired"
    assert sum(module_counts.values()) >= 30
    assert bpf_counts == module_counts
    assert (bpf["snd_cwnd"], bpf["snd_ssthresh"]) == (module["snd_cwnd"], module["snd_ssthresh"])
    # the BPF record publishes every window's alpha, the last one's too
    assert module["alpha"] is not None and bpf["alpha"] == module["alpha"]


def test_the_differential_sees_a_different_gain(restore_params):
    """The same comparison can fail: with the BPF build's g at 1/8 against
    the module's 1/16, alpha falls below alpha_factor at another window and
    the counts part."""
    values, percent = SCENARIOS["rtt-below-t_low"]
    module_param_set(values)
    netlab.reset_case_counts()
    scripted_run("tdctcp", percent)
    module_counts = netlab.case_counts()
    bpf_cc("set", "tdctcp", *(f"{k}={v}" for k, v in values.items()), "g=128")
    try:
        bpfcc.reset_case_counts()
        scripted_run("bpf_tdctcp", percent)
        bpf_counts = bpfcc.case_counts()[3]
    finally:
        bpf_cc("set", "tdctcp", *RESTORE, "g=64")
    print(f"module g=64 {module_counts}; bpf g=128 {bpf_counts}")
    assert bpf_counts != module_counts


def test_xdctcp_ends_with_the_module_window_on_the_same_acks():
    """After hundreds of ECE reactions with xDCTCP's backoff the two builds
    end with the same cwnd and ssthresh."""
    module = scripted_run("xdctcp", 30)
    bpf = scripted_run("bpf_xdctcp", 30)
    print(f"module {module}; bpf {bpf}")
    assert module["total_retrans"] == 0 and bpf["total_retrans"] == 0, "a timer fired"
    assert module["snd_ssthresh"] < 1000, "no ECE reaction"
    assert (bpf["snd_cwnd"], bpf["snd_ssthresh"]) == (module["snd_cwnd"], module["snd_ssthresh"])
    assert module["alpha"] is not None and bpf["alpha"] == module["alpha"]
