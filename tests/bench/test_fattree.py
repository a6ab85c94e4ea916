"""k = 4 fat-tree: shape, addressing and static multipath routing."""

import itertools

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
