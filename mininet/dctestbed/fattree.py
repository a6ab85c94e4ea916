"""The k-ary fat-tree of Al-Fares et al. (k = 4: 4 core, 8 aggregation,
8 edge switches, 16 hosts) with static multipath routing, as plain data.

Addressing: host h of edge switch e in pod p is 10.p.e.(h+2)/8.  Routing
is per destination host: down-links are fixed, up-links form a select
group (one bucket per up-port), so different flows between two pods take
different core switches.  Nothing here imports Mininet; topo.py builds
the Mininet network from it and openflow() turns it into OVS rules.
"""

from dataclasses import dataclass, field


@dataclass
class Node:
    name: str
    kind: str               # "core", "agg", "edge" or "host"
    pod: int = -1
    index: int = 0
    ip: str = ""
    dpid: int = 0
    ports: dict = field(default_factory=dict)   # port number -> neighbour name


@dataclass
class FatTree:
    k: int
    nodes: dict             # name -> Node
    links: list             # (a, port_a, b, port_b)

    def switches(self):
        return [n for n in self.nodes.values() if n.kind != "host"]

    def hosts(self):
        return [n for n in self.nodes.values() if n.kind == "host"]

    def port_to(self, a, b):
        return next(p for p, nb in self.nodes[a].ports.items() if nb == b)


def build(k=4):
    if k < 2 or k % 2:
        raise ValueError(f"k must be an even number >= 2 (got {k})")
    half = k // 2
    nodes, links = {}, []
    dpid = iter(range(1, 10_000))

    def add(name, kind, **kw):
        nodes[name] = Node(name, kind, dpid=next(dpid) if kind != "host" else 0, **kw)
        return nodes[name]

    def connect(a, pa, b, pb):
        nodes[a].ports[pa] = b
        nodes[b].ports[pb] = a
        links.append((a, pa, b, pb))

    cores = [add(f"c{i + 1}", "core", index=i).name for i in range(half * half)]
    h = 0
    for p in range(k):
        aggs = [add(f"a{p * half + i + 1}", "agg", pod=p, index=i).name for i in range(half)]
        edges = [add(f"e{p * half + i + 1}", "edge", pod=p, index=i).name for i in range(half)]
        for e_i, e in enumerate(edges):
            for h_i in range(half):
                h += 1
                host = add(f"h{h}", "host", pod=p, index=e_i, ip=f"10.{p}.{e_i}.{h_i + 2}").name
                connect(e, h_i + 1, host, 0)              # edge down-ports 1..k/2
            for a_i, a in enumerate(aggs):
                connect(e, half + a_i + 1, a, e_i + 1)    # edge up-ports, agg down-ports
        for a_i, a in enumerate(aggs):
            for c_j in range(half):                       # agg i reaches cores i*half .. +half
                connect(a, half + c_j + 1, cores[a_i * half + c_j], p + 1)
    return FatTree(k, nodes, links)


def next_hops(tree, switch, dst_ip):
    """Output ports of switch toward dst_ip: one port down, or the up-ports."""
    sw = tree.nodes[switch]
    dst = next(n for n in tree.hosts() if n.ip == dst_ip)
    half = tree.k // 2
    if sw.kind == "core":
        return [p for p, nb in sw.ports.items() if tree.nodes[nb].pod == dst.pod]
    if sw.kind == "agg":
        if dst.pod == sw.pod:
            return [p for p, nb in sw.ports.items()
                    if tree.nodes[nb].kind == "edge" and tree.nodes[nb].index == dst.index]
        return [p for p in sw.ports if p > half]
    if dst.pod == sw.pod and dst.index == sw.index:
        return [tree.port_to(switch, dst.name)]
    return [p for p in sw.ports if p > half]


def paths(tree, src, dst):
    """Every switch path a packet from host src to host dst can take."""
    dst_ip = tree.nodes[dst].ip
    out = []

    def walk(node, path):
        if node == dst:
            out.append(path)
            return
        if node in path or len(path) > 2 * len(tree.nodes):
            out.append(path + [node, "LOOP"])
            return
        for port in next_hops(tree, node, dst_ip):
            walk(tree.nodes[node].ports[port], path + [node])

    walk(tree.nodes[src].ports[0], [])
    return out


def openflow(tree, switch):
    """ovs-ofctl (OpenFlow 1.3) groups and flows for switch, as
    (groups, flows): select groups for the up-links, one flow per host."""
    groups, flows = [], []
    up_group = None
    for dst in tree.hosts():
        ports = next_hops(tree, switch, dst.ip)
        if len(ports) == 1:
            action = f"output:{ports[0]}"
        else:
            if up_group is None:
                up_group = 1
                buckets = ",".join(f"bucket=output:{p}" for p in ports)
                groups.append(f"group_id={up_group},type=select,{buckets}")
            action = f"group:{up_group}"
        for proto in ("ip", "arp"):
            field_ = "nw_dst" if proto == "ip" else "arp_tpa"
            flows.append(f"priority=100,{proto},{field_}={dst.ip},actions={action}")
    return groups, flows
