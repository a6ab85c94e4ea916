"""k = 4 fat-tree: shape, addressing and static multipath routing."""

import itertools
from collections import Counter

import pytest
from dctestbed import fattree

TREE = fattree.build(4)
HOSTS = [h.name for h in TREE.hosts()]


def test_shape_is_the_thesis_topology():
    kinds = [n.kind for n in TREE.nodes.values()]
    assert (kinds.count("core"), kinds.count("agg"), kinds.count("edge"), kinds.count("host")) \
        == (4, 8, 8, 16)
    assert len(TREE.links) == 16 + 16 + 16          # host-edge, edge-agg, agg-core
    assert all(len(s.ports) == 4 for s in TREE.switches())
    assert len({h.ip for h in TREE.hosts()}) == 16
    assert len({s.dpid for s in TREE.switches()}) == 20


def test_every_host_pair_has_only_loop_free_paths():
    for src, dst in itertools.permutations(HOSTS, 2):
        ps = fattree.paths(TREE, src, dst)
        assert ps, (src, dst)
        for p in ps:
            assert "LOOP" not in p, (src, dst, p)
            assert len(p) == len(set(p))
            assert len(p) in (1, 3, 5)               # same edge, same pod, other pod


def test_multipath_spreads_over_core_switches():
    src, dst = "h1", "h16"                           # pod 0 to pod 3
    ps = fattree.paths(TREE, src, dst)
    cores = {n for p in ps for n in p if TREE.nodes[n].kind == "core"}
    assert len(ps) == 4 and cores == {"c1", "c2", "c3", "c4"}
    # within a pod: both aggregation switches
    aggs = {n for p in fattree.paths(TREE, "h1", "h3") for n in p if n.startswith("a")}
    assert aggs == {"a1", "a2"}


def test_openflow_rules_cover_every_host_with_one_select_group():
    for sw in TREE.switches():
        groups, flows = fattree.openflow(TREE, sw.name)
        assert len(flows) == 2 * 16                  # ip and arp per host
        if sw.kind == "core":
            assert groups == []
        else:
            assert len(groups) == 1 and "type=select" in groups[0]
            assert groups[0].count("bucket=") == 2


def test_odd_k_refused():
    with pytest.raises(ValueError, match="even"):
        fattree.build(3)


def _routes(sw):
    return dict(fattree.l3(TREE, sw).routes)


def _forward(src, dst):
    """Every switch path a packet from host src to host dst can take in
    the routed fabric, following each router's table over all its next
    hops and the link addresses back to the switches that own them."""
    owner = {}
    for sw in TREE.switches():
        for port, addr in fattree.l3(TREE, sw.name).addresses.items():
            owner.setdefault(addr.split("/")[0], []).append((sw.name, port))
    out = []

    def walk(node, path):
        if node == dst:
            out.append(path)
            return
        assert node not in path and len(path) < 10, path
        for port, via, _ in _routes(node)[TREE.nodes[dst].ip + "/32"]:
            nb = TREE.nodes[node].ports[port]
            if via is None:
                assert TREE.nodes[nb].kind == "host"
            else:
                # the next hop's address sits on the neighbour's port toward us
                assert owner[via] == [(nb, TREE.port_to(nb, node))]
            walk(nb, path + [node])

    walk(TREE.nodes[src].ports[0], [])
    return out


def test_routed_fabric_addresses_are_unique_per_link_and_gateways_per_edge():
    link_addrs = []
    for sw in TREE.switches():
        r = fattree.l3(TREE, sw.name)
        assert len(r.addresses) == 4 and r.table == 1000 + sw.dpid == fattree.table_of(sw.dpid)
        for port, addr in r.addresses.items():
            nb = TREE.nodes[TREE.nodes[sw.name].ports[port]]
            if nb.kind == "host":
                assert port in r.host_ports
                assert addr == f"{nb.ip.rsplit('.', 1)[0]}.1/32"
            else:
                assert addr.startswith("169.254.") and addr.endswith("/31")
                link_addrs.append(addr)
        assert (sw.kind == "edge") == bool(r.host_ports)
    assert len(link_addrs) == len(set(link_addrs)) == 2 * 32


def test_routed_fabric_reaches_every_host_on_every_equal_cost_path():
    for src, dst in itertools.permutations(HOSTS, 2):
        routed = _forward(src, dst)
        assert sorted(routed) == sorted(fattree.paths(TREE, src, dst)), (src, dst)
        assert len(routed) == {1: 1, 3: 2, 5: 4}[len(routed[0])]


def test_routed_fabric_uses_both_up_links_of_every_edge_and_agg():
    for sw in TREE.switches():
        routes = _routes(sw.name)
        assert len(routes) == 16
        if sw.kind == "core":
            assert all(len(h) == 1 for h in routes.values())
        else:
            multi = [h for h in routes.values() if len(h) > 1]
            assert multi and all(sorted(p for p, _, _ in h) == [3, 4] for h in multi)


def _slice(weights, x):
    """The next hop a multipath route with these weights picks for a hash
    at fraction x of its range (the kernel's hash-threshold rule)."""
    total, bound = sum(weights), 0
    for n, w in enumerate(weights):
        bound += w
        if x < bound / total:
            return n
    return len(weights) - 1


@pytest.mark.parametrize("k", [4, 6, 8])
def test_flows_spread_evenly_over_core_switches_despite_one_hash(k):
    """Every router hashes a flow to the same value: with the weights each
    core switch still gets an equal share of the flows leaving a pod."""
    tree = fattree.build(k)
    half = k // 2
    edge = next(s for s in tree.switches() if s.kind == "edge")
    aggs = [s for s in tree.switches() if s.kind == "agg" and s.pod == edge.pod]
    per_core = Counter()
    steps = 256 * half * half
    for step in range(steps):
        x = (step + 0.5) / steps
        agg = aggs[_slice(fattree.up_weights(tree, edge.name), x)]
        up = _slice(fattree.up_weights(tree, agg.name), x)
        per_core[tree.nodes[agg.name].ports[half + up + 1]] += 1
    assert len(per_core) == half * half
    assert set(per_core.values()) == {steps // (half * half)}
    # and the same hash with even weights at the aggregation switches uses
    # only one up-link of each (what the weights are for)
    even = {(_slice([1] * half, x), _slice([1] * half, x)) for x in
            ((s + 0.5) / steps for s in range(steps))}
    assert len(even) == half
