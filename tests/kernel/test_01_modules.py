"""Loading, registering, unloading; rmmod refused while a socket uses a module."""

import socket
from pathlib import Path

import netlab
import pytest


def available():
    return netlab.sysctl("net.ipv4.tcp_available_congestion_control").split()


@pytest.mark.parametrize("cc", netlab.CCS)
def test_module_loads_registers_and_unloads(cc):
    assert cc in available()
    netlab.unload(cc)
    assert cc not in available()
    assert not netlab.module_loaded(f"tcp_{cc}")
    netlab.load(cc)
    assert cc in available()
    assert Path(f"/sys/module/tcp_{cc}/version").read_text().strip()


@pytest.mark.parametrize("cc", netlab.CCS)
def test_rmmod_refused_while_a_socket_uses_the_module(cc):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
    refcnt = int(Path(f"/sys/module/tcp_{cc}/refcnt").read_text())
    assert refcnt >= 1
    busy = netlab.sh(["rmmod", f"tcp_{cc}"], check=False)
    assert busy.returncode != 0 and "in use" in busy.stderr
    assert netlab.module_loaded(f"tcp_{cc}")
    s.close()
    assert int(Path(f"/sys/module/tcp_{cc}/refcnt").read_text()) == refcnt - 1
    netlab.sh(["rmmod", f"tcp_{cc}"])
    netlab.load(cc)
