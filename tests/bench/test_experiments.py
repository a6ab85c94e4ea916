"""Experiment objects outside Mininet: what can be checked without a network."""

import subprocess

import pytest
from dctestbed import experiments, options


class FakeAggregator:
    def __init__(self):
        self.closed = 0

    def close(self):
        self.closed += 1


@pytest.mark.parametrize("name", ["incast", "fattree"])
def test_teardown_closes_the_aggregator_and_kills_servers(name):
    # regression: FatTree borrowed Incast.teardown, whose super() failed on a
    # FatTree and lost the run's params.json
    exp = experiments.EXPERIMENTS[name](options.parse([name]))
    agg = exp.agg = FakeAggregator()
    server = subprocess.Popen(["sleep", "60"])
    exp.servers.append(server)
    exp.teardown()
    assert agg.closed == 1 and server.poll() is not None
    exp.teardown()                      # twice is harmless
    assert agg.closed == 1


def test_incast_background_hosts_follow_the_largest_group():
    exp = experiments.Incast(options.parse(["incast", "--n", "4,8", "--background", "2"]))
    assert len(exp.topo().hosts()) == 1 + 8 + 2     # aggregator, 8 workers, 2 senders

    class TB:
        def host(self, name):
            return name
    assert exp.senders(TB()) == ["h10", "h11"]
    assert exp.default_cc_hosts(TB(), "4") == ["h1", "h10", "h11"]
    assert exp.hosts(TB(), "4") == ["h1", "h2", "h3", "h4", "h5", "h10", "h11"]
    plain = experiments.Incast(options.parse(["incast", "--n", "4"]))
    assert plain.senders(TB()) == [] and plain.default_cc_hosts(TB(), "4") == []


def test_leftover_programs_are_those_in_other_namespaces(tmp_path):
    from dctestbed import testbed

    def proc(name, argv, net):
        d = tmp_path / name
        (d / "ns").mkdir(parents=True)
        (d / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
        (d / "ns" / "net").symlink_to(net)
    proc("self", ["python3"], "net:[1]")
    proc("10", ["python3", "-m", "dctestbed.flowapp", "server"], "net:[7]")    # a killed run's host
    proc("11", ["iperf3", "-s", "-1"], "net:[8]")
    proc("12", ["iperf3", "-s"], "net:[1]")                 # the user's own, in our namespace
    proc("13", ["python3", "-m", "dctestbed", "incast"], "net:[1]")     # a run: not a helper
    proc("16", ["python3", "-m", "dctestbed.monitor", "--dev", "s1-eth1"], "net:[1]")
    proc("14", ["sshd"], "net:[7]")
    (tmp_path / "15").mkdir()                               # a kernel thread: no cmdline
    # a killed monitor's trace-cmd recorder (they stop only when told by their parent)
    proc("17", ["trace-cmd", "record", "-q", "-B", "dctestbed", "-b", "8192"], "net:[1]")
    proc("18", ["trace-cmd", "record", "-B", "mine"], "net:[1]")       # someone else's
    assert sorted(testbed.leftover_pids(tmp_path)) == [10, 11, 16, 17]


def test_node_shells_and_links_of_a_killed_run(tmp_path):
    from dctestbed import testbed

    def proc(name, argv):
        (tmp_path / name).mkdir()
        (tmp_path / name / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    proc("20", ["bash", "--norc", "--noediting", "-is", "mininet:h1"])
    proc("21", ["/bin/bash", "--norc", "--noediting", "-is", "mininet:s1"])
    proc("22", ["ping", "10.0.0.1"])                        # the user's: left alone
    proc("23", ["vim", "mininet:notes"])
    (tmp_path / "24").mkdir()                               # a kernel thread
    assert sorted(testbed.node_shell_pids(tmp_path)) == [20, 21]
    text = ("1: lo: <LOOPBACK,UP> mtu 65536 qdisc noqueue\\    link/loopback\n"
            "5: s1-eth1@if4: <BROADCAST,MULTICAST> mtu 1500\\    link/ether\n"
            "7: h12-eth0@if8: <BROADCAST> mtu 1500\n"
            "9: eth0: <BROADCAST> mtu 1500\n"
            "11: e3-eth4: <BROADCAST> mtu 1500\n"
            "12: vrf-e3: <NOARP,MASTER> mtu 65575\n")
    assert testbed.leftover_links(text) == ["s1-eth1", "h12-eth0", "e3-eth4"]
    assert testbed.SWITCH_NAME.fullmatch("s1") and testbed.SWITCH_NAME.fullmatch("c4")
    assert not testbed.SWITCH_NAME.fullmatch("br-lan") and not testbed.SWITCH_NAME.fullmatch("ovs-system")
