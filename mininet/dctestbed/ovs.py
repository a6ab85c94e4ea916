"""Open vSwitch for Mininet without a system service: where no OVS is
running (the VM testbed), start ovsdb-server and ovs-vswitchd with their
run, database and log directories on a tmpfs, and point every OVS tool
(and Mininet, through the environment) at them."""

import os
import shutil
import subprocess
from pathlib import Path

RUNDIR = Path(os.environ.get("DCTESTBED_OVS_DIR", "/tmp/dctestbed-ovs"))
SCHEMA = Path("/usr/share/openvswitch/vswitch.ovsschema")


class OvsError(RuntimeError):
    pass


def _run(args):
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        raise OvsError(f"{' '.join(map(str, args))}: {p.stderr.strip()}")
    return p.stdout


def running():
    return subprocess.run(["ovs-vsctl", "--timeout=2", "show"], capture_output=True).returncode == 0


def start():
    """Make sure ovsdb-server and ovs-vswitchd answer; start ours if not."""
    for tool in ("ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovsdb-tool"):
        if not shutil.which(tool):
            raise OvsError(f"{tool} not found: install openvswitch-switch (scripts/setup.sh vm)")
    subprocess.run(["modprobe", "openvswitch"], capture_output=True)
    if running():
        return
    RUNDIR.mkdir(parents=True, exist_ok=True)
    for var in ("OVS_RUNDIR", "OVS_DBDIR", "OVS_LOGDIR", "OVS_SYSCONFDIR"):
        os.environ[var] = str(RUNDIR)
    if running():
        return
    db = RUNDIR / "conf.db"
    if not db.exists():
        _run(["ovsdb-tool", "create", db, SCHEMA])
    sock = RUNDIR / "db.sock"
    _run(["ovsdb-server", db, f"--remote=punix:{sock}", f"--pidfile={RUNDIR}/ovsdb-server.pid",
          "--detach", f"--log-file={RUNDIR}/ovsdb-server.log"])
    _run(["ovs-vsctl", "--no-wait", "init"])
    _run(["ovs-vswitchd", f"unix:{sock}", f"--pidfile={RUNDIR}/ovs-vswitchd.pid", "--detach",
          f"--log-file={RUNDIR}/ovs-vswitchd.log"])
    if not running():
        raise OvsError(f"Open vSwitch did not start (logs in {RUNDIR})")


def ofctl(*args):
    """ovs-ofctl speaking OpenFlow 1.3 (groups need it)."""
    return _run(["ovs-ofctl", "-O", "OpenFlow13", *map(str, args)])
