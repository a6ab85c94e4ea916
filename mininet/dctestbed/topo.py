"""Mininet topologies of the testbed, usable from `mn --custom
mininet/topos.py` too: a star for incast, a dumbbell for queue buildup,
and the k = 4 fat-tree with static multipath routing (no controller)."""

from mininet.topo import Topo

from dctestbed import fattree, ovs, router


class StarTopo(Topo):
    """n hosts h1..hn on one switch s1; h1 is the aggregator."""

    def build(self, n=9):
        s1 = self.addSwitch("s1", dpid="1")
        for i in range(1, n + 1):
            self.addLink(self.addHost(f"h{i}", ip=f"10.0.0.{i}/24"), s1, port2=i)


class DumbbellTopo(Topo):
    """Senders h1..hn on s1, receiver r on s2; s1 -> s2 is the bottleneck."""

    def build(self, n=3):
        s1, s2 = self.addSwitch("s1", dpid="1"), self.addSwitch("s2", dpid="2")
        self.addLink(s1, s2, port1=1, port2=1)
        self.addLink(self.addHost("r", ip="10.0.0.100/24"), s2, port2=2)
        for i in range(1, n + 1):
            self.addLink(self.addHost(f"h{i}", ip=f"10.0.0.{i}/24"), s1, port2=i + 1)


class FatTreeTopo(Topo):
    """The k-ary fat-tree of dctestbed.fattree (k = 4: 20 switches, 16 hosts).
    Call install_routes(net) after net.start(): switches have no controller.
    With Open vSwitch switches it installs OpenFlow rules (select groups);
    with router.VrfRouter switches, addresses and ECMP routes."""

    def build(self, k=4):
        self.tree = fattree.build(k)
        for node in self.tree.nodes.values():
            if node.kind == "host":
                self.addHost(node.name, ip=f"{node.ip}/8")
            else:
                self.addSwitch(node.name, dpid=f"{node.dpid:x}", protocols="OpenFlow13")
        for a, pa, b, pb in self.tree.links:
            if self.tree.nodes[b].kind == "host":
                self.addLink(b, a, port2=pa)
            else:
                self.addLink(a, b, port1=pa, port2=pb)

    def install_routes(self, net):
        if all(isinstance(s, router.VrfRouter) for s in net.switches):
            for sw in net.switches:
                sw.configure(fattree.l3(self.tree, sw.name))
            return
        for sw in self.tree.switches():
            groups, flows = fattree.openflow(self.tree, sw.name)
            ovs.ofctl("del-flows", sw.name)
            for g in groups:
                ovs.ofctl("add-group", sw.name, g)
            for f in flows:
                ovs.ofctl("add-flow", sw.name, f)


TOPOS = {"star": StarTopo, "dumbbell": DumbbellTopo, "fattree": FatTreeTopo}
