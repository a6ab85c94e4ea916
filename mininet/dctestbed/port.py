"""Switch-port configuration: HTB at the link rate with a RED child that
marks ECN above K packets, as a DCTCP-configured switch does.

RED is asked to behave like a step marker on the instantaneous queue:
min = K * avpkt, max = min + 1 byte, probability 1, and the smallest
EWMA weight exponent tc allows (Wlog 1, from burst = K).  With `ecn
nodrop` ECT packets are marked above K and non-ECT packets are queued up
to the port buffer (tail drop), not dropped at K.  The TCP baselines run
without ECN and so meet that tail-drop buffer, as in the DCTCP paper.
"""

from dataclasses import dataclass

AVPKT = 1500          # bytes per packet for converting K and the buffer


class PortConfigError(ValueError):
    """An impossible port configuration; the message names the option."""


@dataclass(frozen=True)
class RedPort:
    rate_mbit: float        # link rate the HTB class shapes to
    k_pkts: int             # marking threshold K, packets
    buffer_pkts: int        # port buffer (RED limit), packets
    avpkt: int = AVPKT

    def __post_init__(self):
        if not self.rate_mbit > 0:
            raise PortConfigError(f"rate must be positive (got {self.rate_mbit} Mbit/s)")
        if self.k_pkts < 1:
            raise PortConfigError(f"K must be at least 1 packet (got {self.k_pkts})")
        if self.buffer_pkts <= self.k_pkts:
            raise PortConfigError(
                f"K ({self.k_pkts} packets) must be smaller than the buffer ({self.buffer_pkts} packets)")

    @property
    def min_bytes(self):
        return self.k_pkts * self.avpkt

    @property
    def max_bytes(self):
        return self.min_bytes + 1

    @property
    def limit_bytes(self):
        return self.buffer_pkts * self.avpkt

    @property
    def burst_pkts(self):
        """tc needs burst >= min/avpkt; burst = K gives the smallest Wlog (1)."""
        return self.k_pkts

    def tc_commands(self, dev, ecn=True):
        """tc argument lists, in order, that configure dev (replacing its root)."""
        rate = f"{self.rate_mbit:g}mbit"
        red = ["tc", "qdisc", "add", "dev", dev, "parent", "1:10", "handle", "10:", "red",
               "limit", str(self.limit_bytes), "min", str(self.min_bytes),
               "max", str(self.max_bytes), "avpkt", str(self.avpkt),
               "burst", str(self.burst_pkts), "probability", "1", "bandwidth", rate]
        if ecn:
            red += ["ecn", "nodrop"]
        return [
            ["tc", "qdisc", "replace", "dev", dev, "root", "handle", "1:", "htb", "default", "10"],
            ["tc", "class", "add", "dev", dev, "parent", "1:", "classid", "1:10", "htb",
             "rate", rate, "ceil", rate],
            red,
        ]


def tc_red_wlog(qmin_bytes, burst_pkts, avpkt):
    """The EWMA exponent tc derives for RED (iproute2 tc/tc_red.c,
    tc_red_eval_ewma), or None where tc refuses the burst."""
    a = burst_pkts + 1 - qmin_bytes / avpkt
    if a < 1.0:
        return None
    w = 0.5
    for wlog in range(1, 32):
        if a <= (1 - (1 - w) ** burst_pkts) / w:
            return wlog
        w /= 2
    return None


OFFLOADS = ("tso", "gso", "gro")


def offloads_off(dev):
    """ethtool arguments turning segmentation offloads off: one packet per segment."""
    args = ["ethtool", "-K", dev]
    for feature in OFFLOADS:
        args += [feature, "off"]
    return args
