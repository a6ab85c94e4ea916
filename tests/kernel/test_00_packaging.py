"""The modules DKMS built and installed (make dkms-install, run on the
host by make test before the VM boots) load with modprobe, the way a
testbed host loads them at boot, and carry traffic.

First in the suite: it swaps the tree's modules for the installed ones and
back, before any test leaves a socket holding a reference."""

import os
from pathlib import Path

import netlab
import pytest

# the modules DKMS built are for Debian's kernel (the QEMU VM's)
pytestmark = pytest.mark.debian
INSTALLED = os.environ.get("DKMS_INSTALLED", "")


@pytest.fixture
def dkms_modules():
    if not INSTALLED:
        pytest.skip("DKMS_INSTALLED is not set: make test sets it after make dkms-install")
    release = os.uname().release
    assert INSTALLED == release, f"DKMS built for {INSTALLED}, the kernel is {release}"
    yield
    for cc in netlab.CCS:
        netlab.unload(cc)
        netlab.load(cc)


@pytest.mark.parametrize("cc", netlab.CCS)
def test_dkms_module_loads_with_modprobe(dkms_modules, lab, cc):
    path = netlab.sh(["modinfo", "-n", f"tcp_{cc}"]).stdout.strip()
    assert "/updates/dkms/" in path, path
    netlab.unload(cc)
    netlab.sh(["modprobe", f"tcp_{cc}"])
    netlab.allow_in_namespaces()        # as contrib/sysctl.d does at boot
    built = netlab.sh(["modinfo", "-F", "srcversion", path]).stdout.strip()
    assert Path(f"/sys/module/tcp_{cc}/srcversion").read_text().strip() == built
    # the same sources as the tree's build, parameters and all
    assert built == netlab.sh(["modinfo", "-F", "srcversion", netlab.KO[cc]]).stdout.strip()
    a, b, _, _ = netlab.pair(lab, cc, cc)
    got = netlab.iperf(lab, a, b, "10.77.0.2", seconds=2, bitrate="20M")
    assert got["end"]["sender_tcp_congestion"] == cc
    assert got["end"]["sum_received"]["bytes"] > 0
