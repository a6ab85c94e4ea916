"""The inventory of a real testbed: which machines play which role.

The file is an Ansible inventory in YAML, so the one an operator already
keeps for the rack can be reused; the connection variables are Ansible's
(ansible_host, ansible_port, ansible_user, ansible_ssh_private_key_file,
ansible_ssh_common_args, ansible_become) and the testbed's own start with
data_ or dctcp_ (README, "On your own testbed").  Groups name the roles:

  aggregator  one host: the incast aggregator, the receiver of the long
              flows of queue-buildup, k-sweep and convergence
  workers     incast workers; the first also serves queue-buildup's
              short requests
  senders     long-flow senders (queue-buildup, k-sweep, convergence,
              incast --background)
  marking     one entry: the marking point in front of the aggregator,
              either a Linux host forwarding between two NICs
              (marking: linux, egress_dev: the NIC towards the
              aggregator), whose HTB + RED the runner configures, or an
              external switch (marking: external) whose rate_mbit, k_pkts
              and buffer_pkts the user states, with an optional
              counters_cmd printing its port counters as JSON.

Variables apply from `all`, then the group, then the host, as in Ansible.
"""

from dataclasses import dataclass, field
from pathlib import Path

ROLES = ("aggregator", "workers", "senders", "marking")
MARKINGS = ("linux", "external")
DEPLOYS = ("modules", "dkms", "installed")
DEFAULT_DIR = "/var/tmp/dctestbed"


class InventoryError(ValueError):
    """An inventory that cannot describe a testbed; the message names the
    file and the host or group."""


@dataclass
class InvHost:
    """One inventory entry with its variables resolved."""
    name: str
    role: str
    address: str = ""           # ansible_host, or the name
    port: int = 22
    user: str = ""
    key: str = ""
    ssh_args: str = ""
    become: bool = False
    data_ip: str = ""           # the address experiment traffic uses
    data_dev: str = ""          # the NIC that carries it
    workdir: str = DEFAULT_DIR
    deploy: str = "dkms"
    modules_dir: str = ""       # deploy: modules, the .ko files built for this host's kernel
    marking: str = ""           # marking point: linux or external
    egress_dev: str = ""        # linux marking point: the NIC towards the aggregator
    rate_mbit: float = 0.0      # external switch: what the user states
    k_pkts: int = 0
    buffer_pkts: int = 0
    counters_cmd: str = ""      # external switch: prints {"bytes", "packets", "drops", "marks"}
    extra: dict = field(default_factory=dict)

    @property
    def ssh_reachable(self):
        """False for an external switch: the runner never logs in to it."""
        return self.marking != "external"


@dataclass
class Inventory:
    path: str
    aggregator: InvHost
    workers: list
    senders: list
    marking: InvHost

    @property
    def hosts(self):
        """Every host the runner logs in to, in inventory order."""
        out = [self.aggregator, *self.workers, *self.senders]
        if self.marking.ssh_reachable:
            out.append(self.marking)
        return out


def _load_yaml(path):
    import yaml
    try:
        text = Path(path).read_text()
    except OSError as e:
        raise InventoryError(f"--testbed {path}: {e.strerror}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise InventoryError(f"--testbed {path}: not YAML: {e}") from None


def _mapping(value, where, path):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InventoryError(f"--testbed {path}: {where} must be a mapping")
    return value


def _host(path, name, role, variables):
    v = dict(variables)

    def take(key, kind, default):
        value = v.pop(key, default)
        try:
            return kind(value)
        except (TypeError, ValueError):
            raise InventoryError(f"--testbed {path}: host {name}: {key} {value!r} is not "
                                 f"{kind.__name__}") from None

    h = InvHost(name=str(name), role=role,
                address=take("ansible_host", str, name), port=take("ansible_port", int, 22),
                user=take("ansible_user", str, ""), key=take("ansible_ssh_private_key_file", str, ""),
                ssh_args=take("ansible_ssh_common_args", str, ""),
                become=str(v.pop("ansible_become", False)).lower() in ("1", "true", "yes"),
                data_ip=take("data_ip", str, ""), data_dev=take("data_dev", str, ""),
                workdir=take("dctcp_dir", str, DEFAULT_DIR), deploy=take("dctcp_deploy", str, "dkms"),
                modules_dir=take("dctcp_modules", str, ""), marking=take("marking", str, ""),
                egress_dev=take("egress_dev", str, ""), rate_mbit=take("rate_mbit", float, 0.0),
                k_pkts=take("k_pkts", int, 0), buffer_pkts=take("buffer_pkts", int, 0),
                counters_cmd=take("counters_cmd", str, ""))
    h.extra = v
    return h


def _check(path, h):
    def need(cond, msg):
        if not cond:
            raise InventoryError(f"--testbed {path}: {h.role} host {h.name}: {msg}")

    if h.role == "marking":
        need(h.marking in MARKINGS, f"marking must be one of {', '.join(MARKINGS)} "
             f"(got {h.marking or 'nothing'}): ECN marking not configured")
        if h.marking == "linux":
            need(h.egress_dev, "a linux marking point needs egress_dev, its NIC towards the aggregator")
        else:
            need(h.rate_mbit > 0 and h.k_pkts >= 1 and h.buffer_pkts > h.k_pkts,
                 "an external switch must state rate_mbit, k_pkts and buffer_pkts > k_pkts "
                 "(its marking, which the runner cannot configure)")
        return
    need(h.data_ip, "no data_ip (the address experiment traffic uses)")
    need(h.data_dev, "no data_dev (the NIC that carries experiment traffic)")
    need(h.deploy in DEPLOYS, f"dctcp_deploy must be one of {', '.join(DEPLOYS)} (got {h.deploy})")
    need(h.deploy != "modules" or h.modules_dir,
         "dctcp_deploy: modules needs dctcp_modules, the directory of .ko files built for its kernel")
    need(h.workdir.startswith("/") and " " not in h.workdir,
         f"dctcp_dir {h.workdir!r} must be an absolute path without spaces")


def load(path):
    """Read and check an inventory file; InventoryError names what is wrong."""
    data = _mapping(_load_yaml(path), "the file", path)
    top = _mapping(data.get("all"), "all", path)
    base = _mapping(top.get("vars"), "all.vars", path)
    groups = _mapping(top.get("children"), "all.children", path)
    unknown = sorted(set(groups) - set(ROLES))
    if unknown:
        raise InventoryError(f"--testbed {path}: unknown group {', '.join(unknown)} "
                             f"(the roles are {', '.join(ROLES)})")
    members, seen = {}, {}
    for role in ROLES:
        g = _mapping(groups.get(role), f"group {role}", path)
        gvars = _mapping(g.get("vars"), f"{role}.vars", path)
        members[role] = []
        for name, hvars in _mapping(g.get("hosts"), f"{role}.hosts", path).items():
            if name in seen:
                raise InventoryError(f"--testbed {path}: host {name} is in both {seen[name]} and "
                                     f"{role}: one role per host")
            seen[name] = role
            h = _host(path, name, role, {**base, **gvars, **_mapping(hvars, f"host {name}", path)})
            _check(path, h)
            members[role].append(h)
    for role in ("aggregator", "marking"):
        if len(members[role]) != 1:
            raise InventoryError(f"--testbed {path}: group {role} needs exactly one host "
                                 f"(has {len(members[role])})")
    inv = Inventory(str(path), members["aggregator"][0], members["workers"], members["senders"],
                    members["marking"][0])
    ips = {}
    for h in [inv.aggregator, *inv.workers, *inv.senders]:
        if h.data_ip in ips:
            raise InventoryError(f"--testbed {path}: hosts {ips[h.data_ip]} and {h.name} have "
                                 f"the same data_ip {h.data_ip}")
        ips[h.data_ip] = h.name
    return inv


def assign(inv, o):
    """{testbed host name: InvHost}: the emulated topology's names (h1, r,
    ...) that the experiment uses, mapped to the inventory's roles.
    InventoryError when the inventory has too few hosts of a role."""
    def take(role, count, why):
        have = getattr(inv, role)
        if len(have) < count:
            names = ", ".join(h.name for h in have) or "none"
            raise InventoryError(f"--testbed {inv.path}: {why} needs {count} {role}; the inventory "
                                 f"has {len(have)} ({names})")
        return have[:count]

    if o.experiment == "incast":
        workers = take("workers", max(o.n), f"incast --n {max(o.n)}")
        senders = take("senders", o.background, f"incast --background {o.background}")
        first = max(o.n) + 2
        return {"h1": inv.aggregator,
                **{f"h{i + 2}": h for i, h in enumerate(workers)},
                **{f"h{first + i}": h for i, h in enumerate(senders)}}
    if o.experiment in ("queue-buildup", "k-sweep"):
        senders = take("senders", 2, o.experiment)
        hosts = {"h1": senders[0], "h2": senders[1]}
        if o.experiment == "queue-buildup":
            hosts["h3"] = take("workers", 1, "queue-buildup's short requests")[0]
        return {**hosts, "r": inv.aggregator}
    if o.experiment == "convergence":
        senders = take("senders", o.flows, f"convergence --flows {o.flows}")
        return {**{f"h{i + 1}": h for i, h in enumerate(senders)}, "r": inv.aggregator}
    raise InventoryError(f"--testbed: {o.experiment} runs on the emulated testbeds only "
                         "(it needs the k = 4 fat-tree)")
