"""Every way a user selects a congestion control."""

import socket
import sys

import netlab
import pytest
from conftest import ALLOWED


def new_socket_cc(ns=None):
    if ns is None:
        s = socket.socket()
        name = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16)
        s.close()
        return name.rstrip(b"\0").decode()
    return netlab.sh([sys.executable, "-c", "import socket; s = socket.socket(); "
                      "print(s.getsockopt(6, 13, 16).rstrip(b'\\0').decode())"], ns).stdout.strip()


@pytest.mark.parametrize("cc", netlab.CCS)
def test_sysctl_default_in_initial_namespace(cc):
    old = netlab.sysctl("net.ipv4.tcp_congestion_control")
    try:
        netlab.sysctl("net.ipv4.tcp_congestion_control", cc)
        assert new_socket_cc() == cc
    finally:
        netlab.sysctl("net.ipv4.tcp_congestion_control", old)


@pytest.mark.parametrize("cc", netlab.CCS)
def test_sysctl_default_in_namespace_needs_allowed_list(lab, cc):
    ns = lab.host("sel")
    netlab.sysctl("net.ipv4.tcp_allowed_congestion_control", "reno cubic")
    try:
        denied = netlab.sh(["sysctl", "-w", f"net.ipv4.tcp_congestion_control={cc}"], ns, check=False)
        assert denied.returncode != 0 and "not permitted" in denied.stderr
    finally:
        netlab.sysctl("net.ipv4.tcp_allowed_congestion_control", ALLOWED)
    netlab.sysctl("net.ipv4.tcp_congestion_control", cc, ns)
    assert new_socket_cc(ns) == cc


@pytest.mark.parametrize("cc", netlab.CCS)
def test_setsockopt(cc):
    s = socket.socket()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
    assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0") == cc.encode()
    s.close()
    with pytest.raises(OSError):
        socket.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"nosuchcc")


@pytest.mark.parametrize("cc", netlab.CCS)
def test_ip_route_congctl(lab, cc):
    a, b, da, _ = netlab.pair(lab, "cubic", cc)
    netlab.sh(["ip", "route", "add", "10.77.0.2/32", "dev", da, "congctl", cc], a)
    assert f"congctl {cc}" in netlab.sh("ip route show 10.77.0.2", a).stdout
    ss = netlab.SsSampler(lab, a, "10.77.0.2", period=0.2)
    netlab.iperf(lab, a, b, "10.77.0.2", seconds=2, bitrate="20M")
    samples = [s for s in ss.stop() if s]
    assert samples, "ss saw no data socket"
    assert {s["cc"] for s in samples} == {cc}


@pytest.mark.parametrize("cc", netlab.CCS)
def test_iperf3_congestion_option(lab, cc):
    a, b, _, _ = netlab.pair(lab, "cubic", cc)
    result = netlab.iperf(lab, a, b, "10.77.0.2", seconds=1, cc=cc, bitrate="20M")
    assert result["end"]["sender_tcp_congestion"] == cc
    assert netlab.goodput_mbit(result) > 1
