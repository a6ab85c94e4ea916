"""A rack of SSH-reached hosts inside the testbed guest, for testing
--testbed without extra machines.

    aggregator   this namespace (the guest's own; where the runner runs too)
    tor          a namespace forwarding between its NIC to the aggregator
                 (tor-agg, the marking point's egress) and a bridge of the
                 rest of the rack
    w1..wN, s1, s2  workers and long-flow senders, one namespace each

Every host runs its own OpenSSH server on a management network
(10.8.0.0/24, a bridge here) apart from the data network
(10.9.1.0/24 aggregator side, 10.9.2.0/24 rack side).  The runner
reaches them only through SSH and the inventory Rack.inventory() writes.
"""

import subprocess
import time
from pathlib import Path

import yaml

MGMT_BRIDGE = "dctmgmt"
AGG_DEV = "dct-agg0"


def sh(cmd, check=True):
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{cmd}: {p.stderr.strip()}")
    return p.stdout


class Rack:
    def __init__(self, root, workers=3, senders=2):
        self.root = Path(root)
        self.names = [f"w{i + 1}" for i in range(workers)] + [f"s{i + 1}" for i in range(senders)]
        self.mgmt = {"agg": "10.8.0.1", "tor": "10.8.0.2"}
        self.data = {"agg": "10.9.1.10"}
        for i, n in enumerate(self.names):
            self.mgmt[n] = f"10.8.0.{10 + i}"
            self.data[n] = f"10.9.2.{10 + i}"
        self.sshd = {}

    def ns(self, name, cmd):
        return sh(cmd if name == "agg" else f"ip netns exec {name} sh -c '{cmd}'")

    def up(self):
        self.down()
        self.root.mkdir(parents=True, exist_ok=True)
        sh(f"ip link add {MGMT_BRIDGE} type bridge && ip addr add 10.8.0.254/24 dev {MGMT_BRIDGE} "
           f"&& ip link set {MGMT_BRIDGE} up")
        # the marking point: tor-agg towards the aggregator, br0 for the rack
        sh("ip netns add tor")
        sh(f"ip link add {AGG_DEV} type veth peer name tor-agg netns tor")
        sh(f"ip addr add 10.9.1.10/24 dev {AGG_DEV} && ip link set {AGG_DEV} up && "
           "ip route replace 10.9.2.0/24 via 10.9.1.1")
        self.ns("tor", "ip link set lo up && ip addr add 10.9.1.1/24 dev tor-agg && ip link set tor-agg up "
                "&& ip link add br0 type bridge && ip addr add 10.9.2.1/24 dev br0 && ip link set br0 up "
                "&& sysctl -qw net.ipv4.ip_forward=1")
        for n in self.names:
            sh(f"ip netns add {n}")
            sh(f"ip link add tor-{n} netns tor type veth peer name eth0 netns {n}")
            self.ns("tor", f"ip link set tor-{n} master br0 up")
            self.ns(n, f"ip link set lo up && ip addr add {self.data[n]}/24 dev eth0 && "
                    "ip link set eth0 up && ip route add default via 10.9.2.1")
        for n in ["tor", *self.names]:
            sh(f"ip link add m-{n} type veth peer name mgmt0 netns {n}")
            sh(f"ip link set m-{n} master {MGMT_BRIDGE} up")
            self.ns(n, f"ip addr add {self.mgmt[n]}/24 dev mgmt0 && ip link set mgmt0 up")
        sh(f"ip addr add {self.mgmt['agg']}/24 dev {MGMT_BRIDGE}")
        self._keys()
        for n in ["agg", "tor", *self.names]:
            self.start_sshd(n)
        return self

    def _keys(self):
        k = self.root
        for f in ("id", "host"):
            (k / f).unlink(missing_ok=True)
            (k / f"{f}.pub").unlink(missing_ok=True)
        sh(f"ssh-keygen -q -t ed25519 -N '' -f {k / 'id'} && ssh-keygen -q -t ed25519 -N '' -f {k / 'host'}")
        (k / "authorized_keys").write_text((k / "id.pub").read_text())
        host = (k / "host.pub").read_text().split()
        (k / "known_hosts").write_text("".join(f"{ip} {host[0]} {host[1]}\n" for ip in self.mgmt.values()))
        (k / "sshd_config").write_text(
            f"HostKey {k / 'host'}\nAuthorizedKeysFile {k / 'authorized_keys'}\n"
            "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nMaxSessions 100\n"
            "MaxStartups 100\nLogLevel ERROR\n")
        Path("/run/sshd").mkdir(exist_ok=True)

    def start_sshd(self, n):
        pid = self.root / f"sshd-{n}.pid"
        self.ns(n, f"/usr/sbin/sshd -f {self.root / 'sshd_config'} -o ListenAddress={self.mgmt[n]} "
                f"-o PidFile={pid} -E {self.root / f'sshd-{n}.log'}")
        deadline = time.monotonic() + 20
        while not pid.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.sshd[n] = int(pid.read_text())

    def stop_sshd(self, n):
        sh(f"kill {self.sshd.pop(n)}", check=False)

    def down(self):
        for pid in self.sshd.values():
            sh(f"kill {pid}", check=False)
        self.sshd = {}
        for n in ["tor", *self.names]:
            # the root side first: a namespace's veths go asynchronously
            sh(f"ip link del m-{n}", check=False)
            sh(f"ip netns del {n}", check=False)
        sh(f"ip link del {MGMT_BRIDGE}", check=False)
        sh(f"ip link del {AGG_DEV}", check=False)

    def inventory(self, path, modules_dir, workers=None, extra=None):
        """Write an inventory of the rack; extra: {host: {var: value}}."""
        extra = extra or {}

        def host(n, **v):
            return {"ansible_host": self.mgmt[n], **v, **extra.get(n, {})}

        data = {"all": {
            "vars": {"ansible_user": "root", "ansible_ssh_private_key_file": str(self.root / "id"),
                     "ansible_ssh_common_args": f"-o UserKnownHostsFile={self.root / 'known_hosts'} "
                                                "-o StrictHostKeyChecking=yes",
                     "dctcp_deploy": "modules", "dctcp_modules": str(modules_dir)},
            "children": {
                "aggregator": {"hosts": {"agg": host("agg", data_ip=self.data["agg"], data_dev=AGG_DEV,
                                                      dctcp_dir=str(self.root / "hosts" / "agg"))}},
                "workers": {"hosts": {n: host(n, data_ip=self.data[n], data_dev="eth0",
                                              dctcp_dir=str(self.root / "hosts" / n))
                                      for n in (workers or [m for m in self.names if m[0] == "w"])}},
                "senders": {"hosts": {n: host(n, data_ip=self.data[n], data_dev="eth0",
                                              dctcp_dir=str(self.root / "hosts" / n))
                                      for n in self.names if n[0] == "s"}},
                "marking": {"hosts": {"tor": host("tor", marking="linux", egress_dev="tor-agg",
                                                  dctcp_dir=str(self.root / "hosts" / "tor"))}},
            }}}
        Path(path).write_text(yaml.safe_dump(data, sort_keys=False))
        return path
