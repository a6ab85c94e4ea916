"""RED/HTB port configuration."""

import pytest
from dctestbed.port import PortConfigError, RedPort, offloads_off, tc_red_wlog


def test_red_marks_at_k_as_a_step():
    port = RedPort(rate_mbit=20, k_pkts=20, buffer_pkts=100)
    assert port.min_bytes == 30000
    assert port.max_bytes == 30001
    assert port.limit_bytes == 150000
    htb, cls, red = port.tc_commands("s1-eth1")
    assert htb[:6] == ["tc", "qdisc", "replace", "dev", "s1-eth1", "root"]
    assert "20mbit" in cls
    for opt, val in (("min", "30000"), ("max", "30001"), ("limit", "150000"), ("probability", "1")):
        assert red[red.index(opt) + 1] == val
    assert red[-2:] == ["ecn", "nodrop"]
    assert "ecn" not in port.tc_commands("s1-eth1", ecn=False)[2]


@pytest.mark.parametrize("k", [1, 2, 5, 20, 65, 99])
def test_burst_is_accepted_by_tc_with_the_fastest_average(k):
    port = RedPort(rate_mbit=100, k_pkts=k, buffer_pkts=100)
    assert tc_red_wlog(port.min_bytes, port.burst_pkts, port.avpkt) == 1
    # one packet less and tc refuses it
    assert tc_red_wlog(port.min_bytes, port.burst_pkts - 1, port.avpkt) is None


@pytest.mark.parametrize("kw, word", [
    (dict(rate_mbit=0, k_pkts=20, buffer_pkts=100), "rate"),
    (dict(rate_mbit=10, k_pkts=0, buffer_pkts=100), "K"),
    (dict(rate_mbit=10, k_pkts=100, buffer_pkts=100), "buffer"),
    (dict(rate_mbit=10, k_pkts=200, buffer_pkts=100), "buffer"),
])
def test_impossible_ports_are_refused_naming_the_option(kw, word):
    with pytest.raises(PortConfigError, match=word):
        RedPort(**kw)


def test_offloads_off():
    assert offloads_off("h1-eth0") == ["ethtool", "-K", "h1-eth0", "tso", "off", "gso", "off",
                                       "gro", "off"]
