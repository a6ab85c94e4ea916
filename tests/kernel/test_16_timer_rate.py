"""The kernel's timer rate: TCP's retransmission, delayed-ACK and loss-probe
timers count its ticks, so every tail the testbed measures depends on it.
The rate a run records (params.json kernel_hz, read from the kernel's
configuration) is the rate the kernel ticks at, and the virtual-time
testbed runs at the rate it was asked for (UML_HZ, default 250 as
Debian's x86 kernels), not at upstream UML's fixed 100."""

import os
import re
import time
from pathlib import Path

import pytest
from dctestbed.runner import emulation, kernel_hz


def jiffies():
    m = re.search(r"^jiffies: (\d+)$", Path("/proc/timer_list").read_text(), re.M)
    assert m, "no jiffies line in /proc/timer_list"
    return int(m.group(1))


def test_the_kernel_ticks_at_its_recorded_rate():
    hz = kernel_hz()
    assert hz, "the kernel's configuration does not say its HZ"
    j0, t0 = jiffies(), time.monotonic()
    time.sleep(2)
    j1, t1 = jiffies(), time.monotonic()
    measured = (j1 - j0) / (t1 - t0)
    print(f"HZ {hz} configured, {measured:.1f} measured")
    assert abs(measured / hz - 1) < 0.05, (hz, measured)


@pytest.mark.skipif(emulation() != "uml", reason="the virtual-time testbed's own rate")
def test_user_mode_linux_runs_at_the_requested_rate():
    assert kernel_hz() == int(os.environ.get("UML_HZ", "250"))
