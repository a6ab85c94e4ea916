"""Open vSwitch for Mininet without a system service: where no OVS is
running (the VM testbed), start ovsdb-server and ovs-vswitchd with Open
vSwitch's own ovs-ctl, its run, database, log and configuration
directories on a tmpfs, and point every OVS tool (and Mininet, through
the environment) at them."""

import os
import shutil
import subprocess
from pathlib import Path

RUNDIR = Path(os.environ.get("DCTESTBED_OVS_DIR", "/tmp/dctestbed-ovs"))
OVS_CTL = Path("/usr/share/openvswitch/scripts/ovs-ctl")
# ovs-lib reads these; ovs-vsctl and ovs-ofctl find the daemons through OVS_RUNDIR
DIR_VARS = ("OVS_RUNDIR", "OVS_DBDIR", "OVS_LOGDIR", "OVS_SYSCONFDIR")


class OvsError(RuntimeError):
    pass


def _run(args):
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if p.returncode != 0:
        raise OvsError(f"{' '.join(map(str, args))}: {(p.stderr or p.stdout).strip()[-600:]}")
    return p.stdout


def running():
    return subprocess.run(["ovs-vsctl", "--timeout=2", "show"], capture_output=True).returncode == 0


def start():
    """Make sure ovsdb-server and ovs-vswitchd answer; start ours if not."""
    for tool in ("ovs-vsctl", "ovs-ofctl", OVS_CTL):
        if not shutil.which(tool) and not Path(tool).is_file():
            raise OvsError(f"{tool} not found: install openvswitch-switch (scripts/setup.sh vm)")
    if running():
        return
    # ovs-ctl keeps the system id in $OVS_SYSCONFDIR/openvswitch/
    (RUNDIR / "openvswitch").mkdir(parents=True, exist_ok=True)
    for var in DIR_VARS:
        os.environ[var] = str(RUNDIR)
    if running():
        return
    # --no-monitor: no watchdog process to outlive the run; --system-id:
    # a new id rather than the host's /etc/openvswitch one
    _run([OVS_CTL, "start", "--system-id=random", "--no-monitor", "--no-mlockall",
          "--no-record-hostname"])
    if not running():
        raise OvsError(f"Open vSwitch did not start (logs in {RUNDIR})")


def ofctl(*args):
    """ovs-ofctl speaking OpenFlow 1.3 (groups need it)."""
    return _run(["ovs-ofctl", "-O", "OpenFlow13", *args])
