"""In-kernel tests: run as root on a kernel that can load modules (the VM
testbed boots one: scripts/vm-run.sh).  The modules must be built first."""

import os
import platform
import subprocess
from pathlib import Path

import netlab
import pytest
from dctestbed.runner import kernel_hz


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: minutes under software emulation; run with KERNEL_TESTS=slow or all")
    config.addinivalue_line(
        "markers", "virtual: pass or fail depends on throughput or timing: runs in virtual time "
        "(KERNEL_TESTS=virtual on the User-Mode Linux testbed), not in the wall-clock VM")
    config.addinivalue_line(
        "markers", "debian: needs Debian's own kernel (the DKMS-built modules, BPF struct_ops, "
        "which User-Mode Linux cannot run): KERNEL_TESTS=debian in the QEMU VM")
    config.addinivalue_line(
        "markers", "stress: the stress suite (make stress); not in make test")
    config.addinivalue_line(
        "markers", "anywhere: runs in every selection (the kernel log check)")


def pytest_report_header(config):
    return [f"kernel under test: {platform.release()} ({os.uname().version}), "
            f"HZ {kernel_hz() or 'unknown'}"]




def _mount(kind, where):
    if not os.path.ismount(where):
        subprocess.run(["mount", "-t", kind, "none", where], check=False)


@pytest.fixture(scope="session", autouse=True)
def kernel():
    """Root, the modules built for this kernel, the kernel's own dctcp and qdiscs."""
    if os.geteuid() != 0:
        pytest.exit("the kernel tests need root", returncode=2)
    for ko in netlab.KO.values():
        if not ko.exists():
            pytest.exit(f"{ko} is not built: run make first", returncode=2)
    release = platform.release()
    for ko in netlab.KO.values():
        vermagic = netlab.sh(["modinfo", "-F", "vermagic", ko]).stdout.split()[0]
        if vermagic != release:
            pytest.exit(f"{ko.name} is built for {vermagic}, this kernel is {release}", returncode=2)
    for mod in ("tcp_dctcp", "sch_netem", "sch_red", "sch_htb", "veth"):
        netlab.sh(["modprobe", mod], check=False)
    _mount("debugfs", "/sys/kernel/debug")
    _mount("tracefs", "/sys/kernel/tracing")
    for cc in netlab.CCS:
        netlab.load(cc)
    saved = {k: netlab.sysctl(k) for k in ("net.ipv4.tcp_allowed_congestion_control",
                                           "net.ipv4.tcp_congestion_control", "net.ipv4.tcp_ecn")}
    netlab.allow_in_namespaces()
    yield release
    for k, v in saved.items():
        netlab.sysctl(k, v)


@pytest.fixture(scope="session")
def kernel_log_start():
    """How many kernel log lines there were before the tests."""
    return _log_start


_log_start = len(netlab.sh("dmesg").stdout.split("\n")) if os.geteuid() == 0 else 0


@pytest.fixture
def lab():
    lab = netlab.Lab()
    yield lab
    lab.close()


@pytest.fixture
def restore_params():
    """Put every module parameter back after the test."""
    saved = {}
    for cc in netlab.CCS:
        for p in Path(f"/sys/module/tcp_{cc}/parameters").iterdir():
            saved[p] = p.read_text()
    yield
    netlab.restore_params(saved)
