"""The documents' kernel commands (README.md, docs/*.md, results/README.md),
run as written in the guest (sudo dropped): the ones
tests/readme_commands.py sends to the VM.  SERVER is
10.0.0.2 and eth0 the README host's port, in two namespaces made here;
each command runs inside the README host's namespace when it talks to the
network.  What a command changes is put back afterwards."""

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import netlab
import pytest

sys.path.insert(0, str(netlab.TOP / "tests"))
import readme_commands  # noqa: E402

# BPF builds (struct_ops: BPF trampolines) and modprobe of the DKMS-built
# modules need Debian's kernel, not User-Mode Linux's; and a User-Mode Linux
# guest would write /etc through to the host's
DEBIAN_ONLY = re.compile(r"\bbpf-cc\b|=bpf_|\bmodprobe tcp_|/etc/")
VM_COMMANDS = [pytest.param(doc, line, cmd, id=readme_commands.ident(doc, line),
                            marks=[pytest.mark.debian] if DEBIAN_ONLY.search(cmd) else [])
               for doc, line, cmd in readme_commands.where("vm")]
SERVER = "10.0.0.2"
SYSCTLS = ("net.ipv4.tcp_congestion_control", "net.ipv4.tcp_allowed_congestion_control",
           "net.ipv4.tcp_ecn")


@pytest.fixture(scope="module")
def readme_host():
    """'host' (eth0 10.0.0.1/24) and 'server' (10.0.0.2), ECN on both,
    an iperf3 server waiting."""
    lab = netlab.Lab(prefix="rd")
    host = lab.host("host", "cubic")
    # the kernel's dctcp: accepts an ECT SYN (a cubic listener would refuse ECN)
    # and holds no reference to our modules
    server = lab.host("server", "dctcp")
    netlab.sh(["ip", "link", "add", "eth0", "netns", host, "type", "veth", "peer", "name", "eth0",
               "netns", server])
    for ns, addr in ((host, "10.0.0.1"), (server, SERVER)):
        netlab.sh(["ip", "addr", "add", f"{addr}/24", "dev", "eth0"], ns)
        netlab.sh("ip link set eth0 up", ns)
    # a rate, as any real port has: in virtual time an iperf3 that only the
    # CPU limits would never let the clock reach its end
    netlab.sh("tc qdisc add dev eth0 root tbf rate 50mbit burst 64kb latency 50ms", host)
    lab.spawn(["iperf3", "-s", "-p", "5201"], server)
    time.sleep(0.5)
    yield lab, host
    lab.close()


@pytest.fixture
def restored():
    saved = {k: netlab.sysctl(k) for k in SYSCTLS}
    yield
    for k, v in saved.items():
        # the allowed list is put back below, without what is gone since
        # (a congestion control the command unregistered)
        if k != "net.ipv4.tcp_allowed_congestion_control":
            netlab.sysctl(k, v)
    for cc in netlab.CCS:           # the tree's build, in the allowed list
        netlab.load(cc)
    netlab.allow_in_namespaces()


def in_namespace(cmd):
    """Does the command talk to the README's network?"""
    return bool(re.search(r"\bSERVER\b|\beth0\b|^ss ", cmd))


def prepare(cmd, lab, host):
    """What must be true before cmd can run as the README shows it; returns
    a check of its output, or None."""
    m = re.search(r"\binsmod (tcp_(\w+))\.ko", cmd)
    if m:
        netlab.unload(m.group(2))
        return lambda out: netlab.module_loaded(m.group(1))
    m = re.search(r"\bmodprobe (tcp_(\w+))", cmd)
    if m:
        if not os.environ.get("DKMS_INSTALLED"):
            pytest.skip("modprobe by name needs the modules installed: make test's dkms step")
        netlab.unload(m.group(2))
        return lambda out: netlab.module_loaded(m.group(1))
    if "congctl" in cmd:
        return lambda out: "congctl xdctcp" in netlab.sh("ip route show 10.0.0.0/24", host).stdout
    if cmd.startswith("ss "):
        # a connection to look at while ss runs
        lab.spawn(["iperf3", "-c", SERVER, "-C", "xdctcp", "-t", "4"], host)
        time.sleep(1.5)
        return lambda out: "xdctcp" in out and "dctcp:(" in out
    if cmd.startswith("cat ") and "case_count" in cmd:
        return lambda out: len(out.splitlines()) == 8
    if cmd.startswith("trace-cmd report"):
        return lambda out: "tdctcp_decision" in out
    if cmd.startswith("iperf3 "):
        return lambda out: "receiver" in out
    if "scripts/vm-run.sh" in cmd and "uname -r" in cmd:
        return lambda out: os.uname().release in out
    m = re.search(r"\bcp (contrib/\S+) (/etc/\S+)", cmd)
    if m:
        src, dst = netlab.TOP / m.group(1), Path(m.group(2))
        return lambda out: dst.read_text() == src.read_text()
    m = re.search(r"scripts/bpf-cc (\w+)", cmd)
    if m:
        return BPF_CC_CHECKS.get(m.group(1))
    if "sysctl -w net.ipv4.tcp_congestion_control=bpf_" in cmd:
        return lambda out: netlab.sysctl("net.ipv4.tcp_congestion_control").startswith("bpf_")
    if "sysctl -p contrib/" in cmd:
        return lambda out: netlab.sysctl("net.ipv4.tcp_congestion_control") == "tdctcp"
    return None


# what each scripts/bpf-cc subcommand of the README must have done
BPF_CC_CHECKS = {
    "load": lambda out: len(netlab.bpf_registered()) == 2,
    "set": lambda out: netlab.bpf_params("tdctcp")["auto_thresholds"] == 1,
    "params": lambda out: "range" in out and "default" in out,
    "info": lambda out: True,       # no socket runs them here: the exit status is the check
    "counts": lambda out: len(out.splitlines()) == 8,
    "unload": lambda out: not netlab.bpf_registered(),
}


@pytest.mark.parametrize("doc,line,cmd", VM_COMMANDS)
def test_readme_command_runs(readme_host, restored, tmp_path_factory, doc, line, cmd):
    lab, host = readme_host
    check = prepare(cmd, lab, host)
    run = re.sub(r"\bsudo ", "", cmd).replace("SERVER", SERVER)
    args = ["bash", "-o", "pipefail", "-c", run]
    if in_namespace(cmd):
        args = ["ip", "netns", "exec", host, *args]
    # trace-cmd writes trace.dat where it runs: one directory for record and
    # report; insmod loads the build for this kernel (the tree's, or User-Mode
    # Linux's own: DCTESTBED_MODULE_DIR)
    cwd = tmp_path_factory.getbasetemp() if "trace-cmd" in cmd else \
        netlab.KO["xdctcp"].parent if re.search(r"\binsmod tcp_", cmd) else netlab.TOP
    env = dict(os.environ, KERNEL_TEST_LOG_DIR=tempfile.mkdtemp(prefix="readme-"))
    p = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600, env=env)
    assert p.returncode == 0, f"{doc} line {line}: {cmd}\n{p.stdout[-1500:]}\n{p.stderr[-1500:]}"
    if check:
        assert check(p.stdout), f"{doc} line {line}: {cmd}\n{p.stdout[-1500:]}"
