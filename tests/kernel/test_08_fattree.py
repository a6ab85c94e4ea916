"""The k = 4 fat-tree in Mininet with Open vSwitch and static multipath
routes (no controller): every host reaches every other, and the select
groups spread flows over more than one up-link."""

import re

import netlab  # noqa: F401  (puts mininet/ on sys.path)
import pytest
from dctestbed import ovs
from dctestbed.topo import FatTreeTopo
from mininet.net import Mininet
from mininet.node import OVSSwitch


@pytest.mark.slow
def test_fattree_pingall_with_multipath():
    ovs.start()
    topo = FatTreeTopo(k=4)
    net = Mininet(topo=topo, switch=OVSSwitch, controller=None, autoSetMacs=True,
                  waitConnected=False)
    try:
        net.start()
        topo.install_routes(net)
        loss = net.pingAll(timeout="1")
        assert loss == 0
        # every edge switch sent traffic up through both of its up-links
        edges = [sw for sw in topo.tree.switches() if sw.kind == "edge"]
        assert len(edges) == 8
        for sw in edges:
            stats = ovs.ofctl("dump-group-stats", sw.name)
            buckets = [int(n) for n in re.findall(r"bucket\d+:packet_count=(\d+)", stats)]
            assert len(buckets) == 2, stats
            assert all(b > 0 for b in buckets), (sw.name, buckets)
    finally:
        net.stop()
