"""The k-ary fat-tree of Al-Fares et al. (k = 4: 4 core, 8 aggregation,
8 edge switches, 16 hosts) with static multipath routing, as plain data.

Addressing: host h of edge switch e in pod p is 10.p.e.(h+2)/8.  Routing
is per destination host: down-links are fixed, up-links are shared by
flows, so different flows between two pods take different core switches.
Nothing here imports Mininet; topo.py builds the Mininet network from it.
Two ways to forward: openflow() gives Open vSwitch rules (up-links in a
select group), l3() a routed fabric (each switch an IPv4 router with
equal-cost multipath over its up-links, as datacenters route fat-trees).
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


# the routed fabric: switch-to-switch link i is the /31 169.254.i.0/31
# (the lower address on the link's first switch); every port that faces a
# host carries the edge switch's gateway address and answers ARP for the
# rest of 10.0.0.0/8 (proxy ARP), so hosts keep one on-link /8 as with
# Open vSwitch and need no gateway
LINK_NET = "169.254"


@dataclass
class Router:
    """One switch of the routed fabric: addresses per port, and the
    routes, each a destination prefix with its next hops (port,
    neighbour address or None for a host on the port itself, weight)."""
    name: str
    table: int
    addresses: dict         # port -> "a.b.c.d/len"
    host_ports: list        # ports that face hosts (proxy ARP)
    routes: list            # (prefix, [(port, via or None, weight), ...])


def table_of(dpid):
    """The routing table of the switch with this datapath id."""
    return 1000 + dpid


def link_addresses(tree):
    """(switch, port) -> address on that port, for switch-to-switch links."""
    addrs, i = {}, 0
    for a, pa, b, pb in tree.links:
        if tree.nodes[b].kind == "host":
            continue
        addrs[(a, pa)] = f"{LINK_NET}.{i}.0"
        addrs[(b, pb)] = f"{LINK_NET}.{i}.1"
        i += 1
    return addrs


def gateway(host):
    """The edge switch's address on its host ports: 10.pod.edge.1."""
    return host.ip.rsplit(".", 1)[0] + ".1"


def up_weights(tree, switch):
    """Weights of a switch's up-links in its multipath routes.

    Every router of one kernel hashes a flow to the same 31-bit value (one
    hash seed per kernel before Linux 6.11), and a multipath route gives
    its i-th next hop the i-th slice of the hash range, in proportion to
    the weights.  An edge switch splits the range evenly, so aggregation
    switch i receives only flows whose hash lies in slice i; with even
    weights it would send them all up the same link (polarisation).  Its
    weights put the split points inside slice i instead: up-link j gets
    the j-th sub-slice, the first and last also the ranges no flow reaches
    it from."""
    sw = tree.nodes[switch]
    half = tree.k // 2
    if sw.kind != "agg":
        return [1] * half
    i = sw.index
    return [i * half + 1] + [1] * (half - 2) + [half * half - i * half - half + 1]


def l3(tree, switch):
    """The routed fabric's configuration of one switch: a /32 route per
    host, over every port next_hops() gives (several up-links: ECMP)."""
    sw = tree.nodes[switch]
    links = link_addresses(tree)
    addresses, host_ports = {}, []
    for port, nb in sorted(sw.ports.items()):
        if tree.nodes[nb].kind == "host":
            addresses[port] = gateway(tree.nodes[nb]) + "/32"
            host_ports.append(port)
        else:
            addresses[port] = links[(switch, port)] + "/31"
    routes = []
    weights = up_weights(tree, switch)
    for dst in tree.hosts():
        hops = []
        ports = next_hops(tree, switch, dst.ip)
        for n, port in enumerate(ports):
            nb = sw.ports[port]
            via = None if tree.nodes[nb].kind == "host" else links[(nb, tree.port_to(nb, switch))]
            hops.append((port, via, weights[n] if len(ports) > 1 else 1))
        routes.append((dst.ip + "/32", hops))
    return Router(switch, table_of(sw.dpid), addresses, host_ports, routes)
