"""The traffic programs over loopback: the byte counts asked for arrive,
and every completion is recorded."""

import contextlib
import io
import socket
import subprocess
import threading

import pytest
from dctestbed import flowapp


@pytest.fixture
def server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    threading.Thread(target=flowapp.serve, args=(port,), daemon=True).start()
    # listening before the test connects (a flow starting at t = 0 does not retry)
    flowapp._connect("127.0.0.1", port, retry_s=5).close()
    return port


def read(path):
    return [line.split(",") for line in path.read_text().splitlines()]


def test_incast_queries_complete_with_all_bytes(server, tmp_path):
    out = tmp_path / "qct.csv"
    flowapp.incast(["127.0.0.1"] * 4, server, 400_000, 5, out)
    rows = read(out)
    assert len(rows) == 5
    for kind, size, qct in rows:
        assert kind == "query" and int(size) == 400_000 and float(qct) > 0


def test_flows_one_per_schedule_line(server, tmp_path):
    sched = tmp_path / "s.csv"
    sched.write_text("0,2000\n0.05,50000\n0.1,1000000\n")
    out = tmp_path / "fct.csv"
    assert flowapp.flows("127.0.0.1", server, sched, "flow", out) == 0
    assert sorted(int(r[1]) for r in read(out)) == [2000, 50000, 1000000]


def test_flows_report_failures(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]          # nothing listens here
    sched = tmp_path / "s.csv"
    sched.write_text("0,2000\n")
    assert flowapp.flows("127.0.0.1", dead, sched, "flow", tmp_path / "o.csv") == 1


def test_server_per_congestion_control(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        base = s.getsockname()[1]
    avail = open("/proc/sys/net/ipv4/tcp_available_congestion_control").read().split()
    ccs = [c for c in ("reno", "cubic") if c in avail]
    threading.Thread(target=flowapp.serve, args=(base, ccs), daemon=True).start()
    for i, cc in enumerate(ccs):
        sock = flowapp._connect("127.0.0.1", base + i, cc, retry_s=5)
        got = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0").decode()
        assert got == cc
        sock.sendall(flowapp.REQUEST.pack(1000))
        assert flowapp._recv_exact(sock, 1000)
        sock.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_side_cc(port):
    """The congestion control of the server's established sockets on port."""
    out = subprocess.run(["ss", "-Htni", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True, check=True).stdout
    return {w for w in out.split() if w in ("reno", "cubic")}


def test_switched_server_uses_each_runs_control():
    avail = open("/proc/sys/net/ipv4/tcp_available_congestion_control").read().split()
    ccs = [c for c in ("reno", "cubic") if c in avail]
    if len(ccs) < 2:
        pytest.skip("needs reno and cubic")
    port, ready, done = free_port(), threading.Event(), threading.Event()

    def lines():
        for cc in ccs:
            yield cc
            ready.set()         # resumed: the previous line has been applied
            done.wait(10)
            done.clear()

    with contextlib.redirect_stdout(io.StringIO()):
        threading.Thread(target=flowapp.serve_switched, args=(port, lines()), daemon=True).start()
        for cc in ccs:
            ready.wait(10)
            ready.clear()
            sock = flowapp._connect("127.0.0.1", port, retry_s=5)
            sock.sendall(flowapp.REQUEST.pack(1000))
            assert flowapp._recv_exact(sock, 1000)
            seen = server_side_cc(port)
            sock.close()
            done.set()
            assert seen == {cc}


def test_fixed_source_ports_repeat_and_leave_time_wait_with_the_server(server, tmp_path):
    sport = free_port()
    for _ in range(2):            # the same four-tuples twice, as one repetition's controls
        flowapp.incast(["127.0.0.1"] * 2, server, 20_000, 1, tmp_path / "q.csv", sport=sport)
    out = subprocess.run(["ss", "-Htan", "state", "time-wait"], capture_output=True, text=True,
                         check=True).stdout
    pairs = {tuple(line.split()[-2:]) for line in out.splitlines()}
    assert (f"127.0.0.1:{server}", f"127.0.0.1:{sport}") in pairs
    assert (f"127.0.0.1:{server}", f"127.0.0.1:{sport + 1}") in pairs
    assert not any(local.endswith(f":{sport}") for local, _ in pairs)
    assert len(read(tmp_path / "q.csv")) == 2


def test_flows_from_fixed_source_ports(server, tmp_path):
    sched = tmp_path / "s.csv"
    sched.write_text("0,2000\n0.01,2000\n")
    sport = free_port()
    assert flowapp.flows("127.0.0.1", server, sched, "flow", tmp_path / "o.csv", sport=sport) == 0
    out = subprocess.run(["ss", "-Htan", "state", "time-wait", f"( sport = :{server} )"],
                         capture_output=True, text=True, check=True).stdout
    peers = {line.split()[-1] for line in out.splitlines()}
    assert {f"127.0.0.1:{sport}", f"127.0.0.1:{sport + 1}"} <= peers
