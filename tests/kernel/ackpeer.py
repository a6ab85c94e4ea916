"""A scripted TCP peer: the same ACK stream, packet for packet, for every
congestion control that sends to it.

    python3 ackpeer.py peer IFACE --addr A --mac-of-sender M --mark-percent P
        answer one connection to A on IFACE (an interface with no address,
        so the kernel beside it stays silent): SYN-ACK with ECN, then one
        ACK per data segment, with ECE exactly when the segment's index
        (its offset / MSS) hashes below P %: a DCTCP receiver that sees a
        fixed set of segments marked CE.  It holds the first ACK PAUSE
        seconds so the sender has all its data queued before any ACK
        arrives (a 1 MB write takes well under that here; under the
        minimum RTO of 200 ms, so nothing is retransmitted), then ACKs in
        lock step, each once the sender has been quiet for QUIET seconds;
        the sender's state is then a function of the ACKs.
    python3 ackpeer.py send ADDR PORT BYTES [--hold SECONDS]
        connect, write BYTES at once, wait until all are acknowledged and
        print the sender's TCP_INFO (cwnd, ssthresh, retransmissions) as JSON;
        with --hold, keep the connection open that long afterwards (for ss or
        scripts/bpf-cc info to read its DCTCP record).

With loss-probe timers off (net.ipv4.tcp_early_retrans=0) and the pause
below the retransmission timeout, no timer fires: what the congestion
control decides depends on the ACKs alone, and two implementations of the
same algorithm must decide the same.
"""

import argparse
import json
import socket
import struct
import sys
import time
from collections import deque

ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
MSS = 1460
PEER_ISN = 1000
PAUSE = 0.15
QUIET = 0.005
FIN, SYN, RST, PSH, ACK, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x40, 0x80


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def marked(index, percent):
    """Whether segment index is CE-marked: a fixed hash, not a random draw."""
    return (index * 2654435761 >> 8) % 100 < percent


class Peer:
    def __init__(self, iface, addr, sender_mac, percent):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
        self.sock.bind((iface, 0))
        self.mac = self.sock.getsockname()[4]
        self.sender_mac = bytes.fromhex(sender_mac.replace(":", ""))
        self.addr = socket.inet_aton(addr)
        self.percent = percent
        self.isn = None
        self.rcv_nxt = 0
        self.segments = 0

    def send(self, dst, sport, dport, seq, ack, flags, options=b""):
        hlen = 20 + len(options)
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, hlen // 4 << 4, flags,
                          65535, 0, 0) + options
        pseudo = self.addr + dst + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                         self.addr, dst)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        self.sock.send(self.sender_mac + self.mac + struct.pack("!H", ETH_P_IP) + ip + tcp)

    def receive(self, timeout):
        """The sender's next segment as (seq, flags, payload length), or
        None once timeout seconds pass without one (timeout None: wait)."""
        self.sock.settimeout(timeout)
        while True:
            try:
                frame, where = self.sock.recvfrom(65535)
            except TimeoutError:
                return None
            if where[2] == PACKET_OUTGOING:
                continue
            ip = frame[14:]
            if ip[9] != 6 or ip[16:20] != self.addr:
                continue
            tcp = ip[(ip[0] & 0xF) * 4:struct.unpack("!H", ip[2:4])[0]]
            sport, dport, seq, _, off, flags = struct.unpack("!HHIIBB", tcp[:14])
            self.peer = (ip[12:16], sport, dport)
            return seq, flags, len(tcp) - (off >> 4) * 4

    def reply(self, seq, flags, options=b""):
        src, sport, dport = self.peer
        self.send(src, dport, sport, seq, self.rcv_nxt, flags, options)

    def serve(self):
        """Handshake, then one ACK per data segment in lock step: each ACK
        waits until the sender has been quiet for QUIET seconds, so every
        ACK meets a sender that has sent all it will in answer to the one
        before (nothing of it still in flight on the veth, where the
        sender's small-queue limit, which depends on the RTT, would count
        it)."""
        while True:
            seq, flags, _ = self.receive(None)
            if flags & SYN:
                break
        self.isn = seq
        self.rcv_nxt = (seq + 1) & 0xFFFFFFFF
        # MSS 1460, window scale 7: an 8 MB window that never limits
        self.reply(PEER_ISN, SYN | ACK | ECE, struct.pack("!BBHBBBB", 2, 4, MSS, 1, 3, 3, 7))
        queue = deque()
        while not queue:
            seg = self.receive(None)
            if seg[2] or seg[1] & (FIN | RST):
                queue.append(seg)
        time.sleep(PAUSE)
        while True:
            seg = self.receive(QUIET if queue else None)
            if seg is not None:
                if seg[2] or seg[1] & (FIN | RST):
                    queue.append(seg)
                continue
            seq, flags, payload = queue.popleft()
            if flags & RST:
                return
            ece = 0
            if payload and seq == self.rcv_nxt:
                index = ((seq - self.isn - 1) & 0xFFFFFFFF) // MSS
                ece = ECE if marked(index, self.percent) else 0
                self.rcv_nxt = (seq + payload) & 0xFFFFFFFF
                self.segments += 1
            if flags & FIN:
                self.rcv_nxt = (self.rcv_nxt + 1) & 0xFFFFFFFF
                self.reply(PEER_ISN + 1, RST | ACK)
                return
            self.reply(PEER_ISN + 1, ACK | ece)


def tcp_info(sock):
    raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
    u32 = struct.unpack_from("=24I", raw, 8)
    bytes_acked = struct.unpack_from("=Q", raw, 120)[0]
    return {"unacked": u32[4], "snd_ssthresh": u32[17], "snd_cwnd": u32[18],
            "total_retrans": u32[23], "bytes_acked": bytes_acked}


def send(addr, port, nbytes, hold=0.0):
    s = socket.socket()    # net.ipv4.tcp_wmem must hold nbytes from the start
    s.connect((addr, port))
    s.sendall(bytes(nbytes))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        info = tcp_info(s)
        if info["bytes_acked"] >= nbytes:
            break
        time.sleep(0.05)
    cc = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0").decode()
    local = "{}:{}".format(*s.getsockname())
    print(json.dumps({"cc": cc, "local": local, **info}), flush=True)
    time.sleep(hold)
    s.close()
    return 0 if info["bytes_acked"] >= nbytes else 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("peer")
    p.add_argument("iface")
    p.add_argument("--addr", required=True)
    p.add_argument("--sender-mac", required=True)
    p.add_argument("--mark-percent", type=int, default=10)
    p = sub.add_parser("send")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("nbytes", type=int)
    p.add_argument("--hold", type=float, default=0.0)
    a = ap.parse_args(argv)
    if a.cmd == "send":
        return send(a.addr, a.port, a.nbytes, a.hold)
    peer = Peer(a.iface, a.addr, a.sender_mac, a.mark_percent)
    print("ready", flush=True)
    peer.serve()
    print(json.dumps({"segments": peer.segments}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
