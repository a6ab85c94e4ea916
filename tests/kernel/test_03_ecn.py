"""ECN between two namespaces: negotiated, ECT on data, CE echoed as ECE,
the DCTCP record in ss -ti; and a clean fallback to Reno when the
receiver does not negotiate ECN."""

import time

import netlab
import pytest

ECT_OR_CE = "ip[1] & 3 != 0"
ECE = "tcp[13] & 0x40 != 0"
SYN = "tcp[13] & 2 != 0"
DATA_FROM_A = "src host 10.77.0.1 and greater 500"


def transfer(lab, a, b, db, pcap):
    """2 s from a to b at 10 Mbit/s, captured on b, ss sampled on a."""
    dump = lab.spawn(["tcpdump", "-i", db, "-nn", "-s", "96", "-w", pcap, "tcp"], b)
    time.sleep(1.0)
    ss = netlab.SsSampler(lab, a, "10.77.0.2", period=0.3)
    result = netlab.iperf(lab, a, b, "10.77.0.2", seconds=2, bitrate="10M")
    samples = [s for s in ss.stop() if s]
    dump.terminate()
    dump.wait(timeout=10)
    return result, samples


@pytest.mark.parametrize("cc", netlab.CCS)
def test_ecn_negotiated_ect_on_data_ece_echoed(lab, cc, tmp_path):
    # tcp_ecn=0 on both hosts: only the modules' TCP_CONG_NEEDS_ECN asks for ECN
    a, b, da, db = netlab.pair(lab, cc, cc, ecn_a=0, ecn_b=0)
    # netem marks 10 % of a's ECT packets CE on the way to b
    netlab.mark_ce(a, da, 10)
    pcap = str(tmp_path / "b.pcap")
    _, samples = transfer(lab, a, b, db, pcap)
    assert samples, "ss saw no data socket"
    last = samples[-1]
    assert last["cc"] == cc
    assert last["dctcp"] is not None and not last["fallback"], last["info"]
    assert last["dctcp"]["alpha"] > 0 and last["delivered_ce"] > 0, last["info"]
    assert netlab.tcpdump_count(pcap, DATA_FROM_A) > 100
    assert netlab.tcpdump_count(pcap, f"{DATA_FROM_A} and not ({ECT_OR_CE})") == 0
    assert netlab.tcpdump_count(pcap, "src host 10.77.0.1 and ip[1] & 3 == 3") > 0   # CE arrives
    assert netlab.tcpdump_count(pcap, f"src host 10.77.0.2 and {ECE}") > 0           # ECE echoed


@pytest.mark.parametrize("cc", netlab.CCS)
def test_fallback_to_reno_without_ecn(lab, cc, tmp_path):
    a, b, _, db = netlab.pair(lab, cc, "cubic", ecn_a=0, ecn_b=0)      # b refuses ECN
    pcap = str(tmp_path / "b.pcap")
    log_lines = len(netlab.sh("dmesg").stdout.split("\n"))
    result, samples = transfer(lab, a, b, db, pcap)
    assert samples, "ss saw no data socket"
    last = samples[-1]
    assert last["cc"] == f"{cc}-reno", last["info"]
    assert last["fallback"] and last["dctcp"] is None, last["info"]
    assert netlab.goodput_mbit(result) > 5
    assert netlab.tcpdump_count(pcap, DATA_FROM_A) > 100
    assert netlab.tcpdump_count(pcap, f"src host 10.77.0.1 and ({ECT_OR_CE}) and not ({SYN})") == 0
    assert netlab.tcpdump_count(pcap, f"src host 10.77.0.2 and {ECE} and not ({SYN})") == 0
    new_log = netlab.sh("dmesg").stdout.split("\n")[log_lines:]
    assert not [ln for ln in new_log if "WARNING" in ln or "BUG" in ln], new_log
