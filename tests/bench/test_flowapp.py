"""The traffic programs over loopback: the byte counts asked for arrive,
and every completion is recorded."""

import socket
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
