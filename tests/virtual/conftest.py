"""Tests of the virtual-time testbed, run inside its User-Mode Linux guest
(tests/virtual/run.sh through scripts/vm-run.sh with TESTBED=uml)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP / "mininet"))


def pytest_configure(config):
    config.addinivalue_line("markers", "virtual: runs on the virtual-time testbed")


@pytest.fixture(scope="session", autouse=True)
def guest():
    """Root in the virtual-time guest, with the modules the testbed needs."""
    if os.geteuid() != 0 or os.environ.get("DCTESTBED_CLOCK") != "virtual":
        pytest.exit("tests/virtual runs inside the User-Mode Linux testbed "
                    "(TESTBED=uml scripts/vm-run.sh -- tests/virtual/run.sh)", returncode=2)
    for mod in ("vrf", "sch_htb", "sch_red", "sch_netem", "tcp_dctcp"):
        subprocess.run(["modprobe", mod], check=False)
