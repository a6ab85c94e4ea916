"""Routed switches for Mininet: each switch an IPv4 router of its own, a
VRF (virtual routing and forwarding) device in the root namespace with
the switch's ports enslaved to it and its routes in its own table.

The ports stay where Mininet's Open vSwitch and bridge ports are (the
root namespace), so shaping, RED and the queue monitor treat them alike.
Routes with several next hops are equal-cost multipath, hashed on the
five-tuple read from the packet's headers, so each flow keeps one path and
different flows spread over the up-links, as in a datacenter fabric.  Not
policy 1: for a forwarded packet that carries its socket's transmit hash
(a veth keeps it) policy 1 takes that hash instead of the headers; it is
random per connection and TCP draws a new one at each retransmission
timeout, so a flow would move to another path when it times out, and the
same five-tuple would take different paths for different connections.
Policy 3 (custom fields, Linux 5.12) always dissects the headers.
Open vSwitch forwards nothing under User-Mode Linux; this needs only the
kernel (CONFIG_NET_VRF, CONFIG_IP_ROUTE_MULTIPATH).
"""

import json
import subprocess
from pathlib import Path

from mininet.node import Switch

from dctestbed.fattree import table_of

VRF_PREFIX = "vrf-"
PROC = Path("/proc/sys/net/ipv4")
# root-namespace settings the fabric needs, put back by restore()
# (hash fields: source and destination address, protocol, source and
# destination port; bits 0, 1, 2, 4 and 5 of fib_multipath_hash_fields)
FIVE_TUPLE_FIELDS = 0x37
GLOBAL_SYSCTLS = {"ip_forward": "1", "fib_multipath_hash_policy": "3",
                  "fib_multipath_hash_fields": str(FIVE_TUPLE_FIELDS), "conf/all/rp_filter": "0"}


def _ip_batch(lines):
    p = subprocess.run(["ip", "-batch", "-"], input="\n".join(lines) + "\n",
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"ip -batch: {p.stderr.strip()[-600:]}")


def _write(path, value):
    path.write_text(f"{value}\n")


class VrfRouter(Switch):
    """A Mininet switch that routes instead of bridging: start() makes
    the VRF and enslaves the ports; configure() gives addresses and routes."""

    def __init__(self, name, **params):
        super().__init__(name, **params)
        self.vrf = VRF_PREFIX + name
        self.table = table_of(int(self.dpid, 16))

    def connected(self):
        return Path(f"/sys/class/net/{self.vrf}").exists()

    def start(self, _controllers):
        lines = [f"link del {self.vrf}"] if self.connected() else []
        lines += [f"link add {self.vrf} type vrf table {self.table}", f"link set {self.vrf} up"]
        lines += [f"link set {i.name} master {self.vrf}" for i in self.intfList() if i.name != "lo"]
        _ip_batch(lines)

    def stop(self, deleteIntfs=True):
        subprocess.run(["ip", "link", "del", self.vrf], capture_output=True)
        super().stop(deleteIntfs)

    def port_name(self, port):
        return f"{self.name}-eth{port}"

    def configure(self, config):
        """Addresses, proxy ARP on host ports and routes from a
        fattree.Router; every route is in this router's table."""
        if config.table != self.table:
            raise ValueError(f"{self.name}: configuration for table {config.table}, "
                             f"the VRF uses {self.table}")
        lines = []
        for port, addr in sorted(config.addresses.items()):
            lines.append(f"addr add {addr} dev {self.port_name(port)}")
        # replace: a deleted VRF leaves this device-less route in its table
        lines.append(f"route replace unreachable default metric 4278198272 table {self.table}")
        for prefix, hops in config.routes:
            paths = [(f"dev {self.port_name(p)}" if via is None else
                      f"via {via} dev {self.port_name(p)}", w) for p, via, w in hops]
            if len(paths) == 1:
                lines.append(f"route replace {prefix} table {self.table} {paths[0][0]}")
            else:
                lines.append(f"route replace {prefix} table {self.table} " +
                             " ".join(f"nexthop {x} weight {w}" for x, w in paths))
        for port in config.host_ports:
            dev = self.port_name(port)
            _write(PROC / "conf" / dev / "proxy_arp", 1)
            # answer at once: by default the kernel delays a proxied reply
            # by up to 80 jiffies (0.8 s at HZ 100), longer than a query
            _write(PROC / "neigh" / dev / "proxy_delay", 0)
        for i in self.intfList():
            if i.name != "lo":
                _write(PROC / "conf" / i.name / "rp_filter", 0)
        _ip_batch(lines)


def enable():
    """Forwarding and five-tuple multipath in the root namespace; returns
    the values before, for restore()."""
    saved = {k: (PROC / k).read_text().strip() for k in GLOBAL_SYSCTLS}
    for k, v in GLOBAL_SYSCTLS.items():
        _write(PROC / k, v)
    return saved


def restore(saved):
    for k, v in saved.items():
        _write(PROC / k, v)


def leftover_vrfs():
    """VRF devices a killed run left (ours are named vrf-SWITCH)."""
    p = subprocess.run(["ip", "-j", "link", "show", "type", "vrf"], capture_output=True, text=True)
    if p.returncode != 0 or not p.stdout.strip():
        return []
    return [d["ifname"] for d in json.loads(p.stdout) if d["ifname"].startswith(VRF_PREFIX)]


def cleanup():
    for dev in leftover_vrfs():
        subprocess.run(["ip", "link", "del", dev], capture_output=True)
