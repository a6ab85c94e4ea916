"""Every way a user selects a congestion control."""

import platform
import socket
import sys
from pathlib import Path

import netlab
import pytest


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


def refcnt(module):
    return int(Path(f"/sys/module/{module}/refcnt").read_text())


def refuse_namespace_default(lab, module, name):
    """Ask a namespace for a default missing from the allowed list; return
    the module's reference count before and after the refusal."""
    ns = lab.host("sel")
    netlab.sysctl("net.ipv4.tcp_allowed_congestion_control", "reno cubic")
    try:
        before = refcnt(module)
        denied = netlab.sh(["sysctl", "-w", f"net.ipv4.tcp_congestion_control={name}"], ns,
                           check=False)
        assert denied.returncode != 0 and "not permitted" in denied.stderr
        return before, refcnt(module)
    finally:
        netlab.allow_in_namespaces()


# The refusals are made with the kernel's own tcp_westwood, never with
# xdctcp or tdctcp: the reference a refusal keeps (below) would make our
# modules impossible to unload for the rest of the suite.
def test_namespace_default_needs_the_allowed_list(lab):
    netlab.sh("modprobe tcp_westwood")
    refuse_namespace_default(lab, "tcp_westwood", "westwood")


@pytest.mark.xfail(platform.release().startswith("6.1."), strict=True,
                   reason="kernel bug: tcp_set_default_congestion_control() takes a module "
                          "reference, then returns -EPERM for a restricted algorithm without "
                          "dropping it (net/ipv4/tcp_cong.c, 6.1; the same code in 7.2)")
def test_refused_namespace_default_keeps_no_module_reference(lab):
    netlab.sh("modprobe tcp_westwood")
    before, after = refuse_namespace_default(lab, "tcp_westwood", "westwood")
    assert after == before


@pytest.mark.parametrize("cc", netlab.CCS)
def test_sysctl_default_in_namespace_with_allowed_list(lab, cc):
    ns = lab.host("sel")
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
