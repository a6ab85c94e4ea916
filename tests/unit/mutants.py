#!/usr/bin/env python3
"""Mutation check of the unit tests: each mutant breaks one rule of the
kernel code (a copy of it, in a temporary directory); the unit tests must
fail on every one of them.  A surviving mutant is a rule no test checks.

Usage: tests/unit/mutants.py [-k SUBSTRING]
"""

import argparse
import concurrent.futures
import os
import queue
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
SOURCES = ["tcp_dctcp_base.h", "tcp_dctcp_compat.h", "tcp_xdctcp.c", "tcp_tdctcp.c", "tcp_tdctcp_trace.h"]

# (name, file, original text, mutated text, test binary that must fail)
MUTANTS = [
    ("alpha decays by g*alpha only", "tcp_dctcp_base.h",
     "alpha_1024 -= min_not_zero(alpha_1024, decay);", "alpha_1024 -= decay;", "xdctcp"),
    ("alpha gain ignores g", "tcp_dctcp_base.h",
     "(u64)delivered_ce * g_1024,", "(u64)delivered_ce * DCTCP_ONE,", "xdctcp"),
    ("alpha updated on every ACK", "tcp_dctcp_base.h",
     "if (before(tp->snd_una, ca->next_seq))\n\t\treturn false;", "", "xdctcp"),
    ("handshake ACK ends a window", "tcp_dctcp_base.h",
     "if (sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_SYN_RECV)\n\t\treturn false;\n",
     "", "xdctcp"),
    ("window not restarted", "tcp_dctcp_base.h",
     "\tdctcp_base_new_window(tp, ca);\n\treturn true;", "\treturn true;", "xdctcp"),
    ("flushed ACK covers the new segment", "tcp_dctcp_base.h",
     "dctcp_compat_send_ack(sk, ca->prior_rcv_nxt);",
     "dctcp_compat_send_ack(sk, tcp_sk(sk)->rcv_nxt);", "xdctcp"),
    ("6.15+: flushed ACK asks for extra header flags", "tcp_dctcp_compat.h",
     "__tcp_send_ack(sk, rcv_nxt, 0);", "__tcp_send_ack(sk, rcv_nxt, 0x80);", "xdctcp-7.3"),
    ("6.15+: ECN test sees only AccECN", "tcp_dctcp_compat.h",
     "return tcp_ecn_mode_any(tp);", "return tp->ecn_flags & TCP_ECN_MODE_ACCECN;", "tdctcp-7.3"),
    ("7.1+: TX_START op not wired", "tcp_xdctcp.c",
     "\t.cwnd_event_tx_start = xdctcp_tx_start,\n", "", "xdctcp-7.3"),
    ("flushed ACK carries the new state", "tcp_dctcp_base.h",
     "dctcp_ece_set(sk, ca->ce_state);\n", "dctcp_ece_set(sk, new_ce_state);\n", "xdctcp"),
    ("CE change not ACKed at once", "tcp_dctcp_base.h",
     "icsk->icsk_ack.pending |= ICSK_ACK_NOW;", "", "xdctcp"),
    ("delayed ACK flushed without a pending timer", "tcp_dctcp_base.h",
     "if (icsk->icsk_ack.pending & ICSK_ACK_TIMER) {", "if (1) {", "xdctcp"),
    ("loss quarters the window", "tcp_dctcp_base.h",
     "max(cwnd >> 1, DCTCP_MIN_CWND)", "max(cwnd >> 2, DCTCP_MIN_CWND)", "xdctcp"),
    ("loss reacted to twice per window", "tcp_dctcp_base.h",
     "if (new_state == TCP_CA_Recovery &&\n\t    new_state != inet_csk(sk)->icsk_ca_state)",
     "if (new_state == TCP_CA_Recovery)", "xdctcp"),
    ("undo takes the smaller window", "tcp_dctcp_base.h",
     "return max(tcp_snd_cwnd(tcp_sk(sk)), dctcp_base(sk)->loss_cwnd);",
     "return min(tcp_snd_cwnd(tcp_sk(sk)), dctcp_base(sk)->loss_cwnd);", "xdctcp"),
    ("ECT kept without ECN", "tcp_dctcp_base.h", "\tINET_ECN_dontxmit(sk);\n", "\n", "xdctcp"),
    ("no Reno fallback", "tcp_dctcp_base.h",
     "WRITE_ONCE(inet_csk(sk)->icsk_ca_ops, &dctcp_base_reno);", "", "xdctcp"),
    ("ss reports ab_ecn wrong", "tcp_dctcp_base.h",
     "(tp->delivered_ce - ca->old_delivered_ce);", "tp->delivered_ce;", "xdctcp"),
    ("gain parameter minimum not checked", "tcp_dctcp_base.h",
     "return dctcp_param_set_range(val, kp, 1, DCTCP_ONE);",
     "return dctcp_param_set_range(val, kp, 0, DCTCP_ONE);", "tdctcp"),
    ("factor parameter maximum not checked", "tcp_dctcp_base.h",
     "return dctcp_param_set_range(val, kp, 0, DCTCP_ONE);",
     "return dctcp_param_set_range(val, kp, 0, 2 * DCTCP_ONE);", "xdctcp"),
    ("refusals not all -EINVAL", "tcp_dctcp_base.h",
     "return param_set_uint_minmax(val, kp, min, max) ? -EINVAL : 0;",
     "return param_set_uint_minmax(val, kp, min, max);", "xdctcp"),
    ("T_low may exceed T_high", "tcp_tdctcp.c",
     "dctcp_param_set_range(val, kp, 0, READ_ONCE(tdctcp_t_high_us));",
     "dctcp_param_set_range(val, kp, 0, TDCTCP_MAX_RTT_US);", "tdctcp"),
    ("auto_high_pkts may go below auto_low_pkts", "tcp_tdctcp.c",
     "dctcp_param_set_range(val, kp, READ_ONCE(tdctcp_auto_low_pkts),",
     "dctcp_param_set_range(val, kp, 0 * READ_ONCE(tdctcp_auto_low_pkts),", "tdctcp"),
    ("floor of two segments lost", "tcp_dctcp_base.h",
     "return max(cwnd - (u32)cut, DCTCP_MIN_CWND);", "return cwnd - (u32)cut;", "xdctcp"),
    ("short flows cut as long ones", "tcp_xdctcp.c",
     "n_1024 = READ_ONCE(xdctcp_ns_1024);", "n_1024 = READ_ONCE(xdctcp_nl_1024);", "xdctcp"),
    ("threshold counted as short", "tcp_xdctcp.c",
     "return bytes_acked - flow_start_bytes < short_bytes;",
     "return bytes_acked - flow_start_bytes <= short_bytes;", "xdctcp"),
    ("backoff halves n*alpha", "tcp_xdctcp.c",
     ">> (2 * DCTCP_ONE_SHIFT);", ">> (2 * DCTCP_ONE_SHIFT + 1);", "xdctcp"),
    ("idle restart ignored", "tcp_xdctcp.c",
     "\tif (ev == CA_EVENT_TX_START)\n\t\txdctcp_flow_start(sk);\n", "", "xdctcp"),
    ("a timeout restarts the flow", "tcp_xdctcp.c",
     "if (READ_ONCE(xdctcp_idle_restart) && !tp->packets_out)",
     "if (READ_ONCE(xdctcp_idle_restart))", "xdctcp"),
    ("restart backoff on while switched off", "tcp_dctcp_base.h",
     "else if (mode == DCTCP_RESTART_MESSAGE && signalled)", "else if (signalled)", "tdctcp"),
    ("restart by alpha cuts after unmarked messages only", "tcp_dctcp_base.h",
     "if (mode == DCTCP_RESTART_ALPHA && ca->alpha_1024)\n",
     "if (mode == DCTCP_RESTART_ALPHA && ca->alpha_1024 && !signalled)\n", "xdctcp"),
    ("restart cuts by the whole marked fraction", "tcp_dctcp_base.h",
     "2 * max(delivered, 1U)", "max(delivered, 1U)", "xdctcp"),
    ("restart parameter takes 3", "tcp_dctcp_base.h",
     "dctcp_param_set_range(val, kp, 0, DCTCP_RESTART_MESSAGE)",
     "dctcp_param_set_range(val, kp, 0, DCTCP_RESTART_MESSAGE + 1)", "tdctcp"),
    ("restart stays in slow start", "tcp_dctcp_base.h",
     "\t\ttp->snd_ssthresh = target;\n\tdctcp_ca_restart(sk);", "\tdctcp_ca_restart(sk);", "tdctcp"),
    ("restart cut cannot be undone", "tcp_dctcp_base.h",
     "\t\tca->loss_cwnd = cwnd;\n\t\ttcp_snd_cwnd_set(tp, target);",
     "\t\ttcp_snd_cwnd_set(tp, target);", "xdctcp"),
    ("restart counts marks since the connection began", "tcp_dctcp_base.h",
     "\tca->msg_delivered_ce = tp->delivered_ce;\n\tca->msg_retrans",
     "\tca->msg_retrans", "tdctcp"),
    ("restart at the floor stays in slow start", "tcp_dctcp_base.h",
     "\tif (target < cwnd) {\n\t\tca->loss_cwnd = cwnd;\n\t\ttcp_snd_cwnd_set(tp, target);\n\t}\n",
     "\tif (target >= cwnd)\n\t\treturn;\n\tca->loss_cwnd = cwnd;\n\ttcp_snd_cwnd_set(tp, target);\n",
     "tdctcp"),
    ("restart by alpha acts with alpha 0", "tcp_dctcp_base.h",
     "if (mode == DCTCP_RESTART_ALPHA && ca->alpha_1024)", "if (mode == DCTCP_RESTART_ALPHA)", "xdctcp"),
    ("restart ignores retransmissions", "tcp_dctcp_base.h",
     " +\n\t\t\ttp->total_retrans - ca->msg_retrans;", ";", "xdctcp"),
    ("restart counts retransmissions since the connection began", "tcp_dctcp_base.h",
     "\tca->msg_retrans = tp->total_retrans;\n\tif (inet_csk", "\tif (inet_csk", "tdctcp"),
    ("restart on a timeout's retransmission", "tcp_dctcp_base.h",
     "return !tp->packets_out;", "return !tcp_packets_in_flight(tp);", "xdctcp"),
    ("restart in any congestion state", "tcp_dctcp_base.h",
     "if (inet_csk(sk)->icsk_ca_state != TCP_CA_Open || !delivered)", "if (!delivered)", "tdctcp"),
    ("restart cuts the first message", "tcp_dctcp_base.h",
     "if (inet_csk(sk)->icsk_ca_state != TCP_CA_Open || !delivered)",
     "if (inet_csk(sk)->icsk_ca_state != TCP_CA_Open)", "xdctcp"),
    ("restart lowers the ssthresh slow start regains", "tcp_dctcp_base.h",
     "if (cwnd >= tp->snd_ssthresh || tcp_in_initial_slowstart(tp))", "if (1)", "xdctcp"),
    ("restart keeps the initial slow start", "tcp_dctcp_base.h",
     "if (cwnd >= tp->snd_ssthresh || tcp_in_initial_slowstart(tp))",
     "if (cwnd >= tp->snd_ssthresh)", "tdctcp"),
    ("restart raises cwnd from 1", "tcp_dctcp_base.h",
     "\tif (target < cwnd) {", "\tif (target != cwnd) {", "xdctcp"),
    ("the handshake's delivery counted as a message", "tcp_dctcp_base.h",
     "\t\tca->msg_delivered = tp->delivered;\n", "", "xdctcp"),
    ("restart keeps the pending decrease", "tcp_tdctcp.c",
     "\tca->pending_case = TDCTCP_NONE;\n}\n\nstatic void tdctcp_init",
     "\tca->pending_case = ca->pending_case;\n}\n\nstatic void tdctcp_init", "tdctcp"),
    ("minRTT is the latest sample", "tcp_tdctcp.c",
     "max(min(min_rtt_us, (u32)rtt_us), 1U)", "max((u32)rtt_us, 1U)", "tdctcp"),
    ("minRTT of the connection's whole life", "tcp_tdctcp.c",
     "max(min(min_rtt_us, (u32)rtt_us), 1U)",
     "max(min(ca->min_rtt_us ? ca->min_rtt_us : ~0U, min(min_rtt_us, (u32)rtt_us)), 1U)", "tdctcp"),
    ("minRTT not bounded by the sample", "tcp_tdctcp.c",
     "max(min(min_rtt_us, (u32)rtt_us), 1U)", "max(min_rtt_us, 1U)", "tdctcp"),
    ("auto thresholds from cwnd, not what is in flight", "tcp_tdctcp.c",
     "sample->in_flight / max(tp->mss_cache, 1U)", "tcp_snd_cwnd(tp)", "tdctcp"),
    ("in_flight read as segments", "tcp_tdctcp.c",
     "sample->in_flight / max(tp->mss_cache, 1U)", "sample->in_flight", "tdctcp"),
    ("in_flight of 0 divides", "tcp_tdctcp.c",
     "ca->new_inflight = max(inflight, 1U);", "ca->new_inflight = inflight;", "tdctcp"),
    ("deferred cut uses the latest RTT", "tcp_tdctcp.c",
     "ca->prev_rtt_us, 1, tcp_sk(sk)->snd_cwnd_clamp", "ca->new_rtt_us, 1, tcp_sk(sk)->snd_cwnd_clamp",
     "tdctcp"),
    ("direct cut outside the Open state", "tcp_tdctcp.c",
     "} else if (p.direct_decrease && open &&", "} else if (p.direct_decrease &&", "tdctcp"),
    ("growth when not cwnd-limited", "tcp_tdctcp.c",
     "\tif (!tcp_is_cwnd_limited(sk))\n\t\treturn;\n\tif (tcp_in_slow_start(tp))",
     "\tif (tcp_in_slow_start(tp))", "tdctcp"),
    ("addstep 0 accepted", "tcp_tdctcp.c",
     "dctcp_param_set_range(val, kp, 1, 64);", "dctcp_param_set_range(val, kp, 0, 64);", "tdctcp"),
    ("counter reset forgets nothing", "tcp_tdctcp.c",
     "tdctcp_case_base[i] = tdctcp_case_sum(i);", "tdctcp_case_base[i] = 0;", "tdctcp"),
    ("counters shown without the reset", "tcp_tdctcp.c",
     "tdctcp_case_sum(i) - tdctcp_case_base[i]", "tdctcp_case_sum(i)", "tdctcp"),
    ("first sample differenced against 0", "tcp_tdctcp.c",
     "if (ca->decided)\n\t\tnew_diff_us", "if (1)\n\t\tnew_diff_us", "tdctcp"),
    ("rtt_diff EWMA ignores beta", "tcp_tdctcp.c",
     "new_diff_us * beta_1024 -", "new_diff_us * DCTCP_ONE -", "tdctcp"),
    ("gradient sign lost", "tcp_tdctcp.c",
     "div_s64(ca->rtt_diff_1024,", "div_s64(ca->rtt_diff_1024 < 0 ? -ca->rtt_diff_1024 : ca->rtt_diff_1024,",
     "tdctcp"),
    ("alpha_factor itself counted light", "tcp_tdctcp.c",
     "alpha_1024 >= p->alpha_factor_1024", "alpha_1024 > p->alpha_factor_1024", "tdctcp"),
    ("T_low inclusive", "tcp_tdctcp.c",
     "if (rtt_us < p->t_low_us)", "if (rtt_us <= p->t_low_us)", "tdctcp"),
    ("T_high inclusive", "tcp_tdctcp.c",
     "if (rtt_us > p->t_high_us)\n\t\treturn heavy",
     "if (rtt_us >= p->t_high_us)\n\t\treturn heavy", "tdctcp"),
    ("gradient 0 counted rising", "tcp_tdctcp.c",
     "if (rtt_diff_1024 < TDCTCP_RISE_MIN_1024)", "if (rtt_diff_1024 < 0)", "tdctcp"),
    ("no dead band: any residue is a rise", "tcp_tdctcp.c",
     "if (rtt_diff_1024 < TDCTCP_RISE_MIN_1024)", "if (rtt_diff_1024 <= 0)", "tdctcp"),
    ("dead band of 2 us", "tcp_tdctcp.c",
     "if (rtt_diff_1024 < TDCTCP_RISE_MIN_1024)", "if (rtt_diff_1024 < 2 * TDCTCP_RISE_MIN_1024)",
     "tdctcp"),
    ("case (2) without alpha/2", "tcp_tdctcp.c",
     "((u64)alpha_1024 << (DCTCP_ONE_SHIFT - 1));", "0;", "tdctcp"),
    ("case (2) without gamma", "tcp_tdctcp.c",
     "return p->decre_1024 * excess_1024 +", "return DCTCP_ONE * excess_1024 +", "tdctcp"),
    ("case (4) without cwnd - 1", "tcp_tdctcp.c",
     "\t\ttarget = min_t(u64, target, cwnd - 1);\n", "", "tdctcp"),
    ("cases (5)(7) cut alpha/2", "tcp_tdctcp.c",
     "(DCTCP_ONE / 2),\n", "DCTCP_ONE,\n", "tdctcp"),
    ("case (6) cuts to 3/4", "tcp_tdctcp.c",
     "target = cwnd / 2;", "target = cwnd - cwnd / 4;", "tdctcp"),
    ("case (8) cuts alpha/4", "tcp_tdctcp.c",
     "(DCTCP_ONE_SHIFT + 1));", "(DCTCP_ONE_SHIFT + 2));", "tdctcp"),
    ("N = 5 one window early", "tcp_tdctcp.c",
     "ca->easing_windows >= TDCTCP_FAST_AFTER", "ca->easing_windows >= TDCTCP_FAST_AFTER - 1",
     "tdctcp"),
    ("N = 5 run never reset", "tcp_tdctcp.c",
     "\t} else {\n\t\tca->easing_windows = 0;\n\t}", "\t}", "tdctcp"),
    ("no clamp", "tcp_tdctcp.c", "max(clamp, DCTCP_MIN_CWND));", "~0U);", "tdctcp"),
    ("increase during slow start", "tcp_tdctcp.c",
     "if (open && !tcp_in_slow_start(tp) && tcp_is_cwnd_limited(sk))",
     "if (open && tcp_is_cwnd_limited(sk))", "tdctcp"),
    ("decrease applied at once", "tcp_tdctcp.c",
     "\t} else {\n\t\tca->pending_case = c;\n\t}",
     "\t} else {\n\t\ttcp_snd_cwnd_set(tp, target);\n\t}", "tdctcp"),
    ("pending decrease not consumed", "tcp_tdctcp.c",
     "\tca->pending_case = TDCTCP_NONE;\n\tif (c == TDCTCP_NONE)", "\tif (c == TDCTCP_NONE)",
     "tdctcp"),
    ("direct decrease leaves ssthresh", "tcp_tdctcp.c",
     "\t\ttp->snd_ssthresh = target;\n", "", "tdctcp"),
    ("direct decrease leaves a stale pending cut", "tcp_tdctcp.c",
     "\t\tca->pending_case = TDCTCP_NONE;\n\t\ttcp_snd_cwnd_set(tp, target);",
     "\t\ttcp_snd_cwnd_set(tp, target);", "tdctcp"),
    ("Reno increase on top of the controller", "tcp_tdctcp.c",
     "\telse if (!ca->decided)\n", "\telse if (!ca->decided || 1)\n", "tdctcp"),
    ("window without RTT sample decides", "tcp_tdctcp.c",
     "if (ca->sampled) {", "if (1) {", "tdctcp"),
    ("counters count case 1 only", "tcp_tdctcp.c",
     "this_cpu_inc(tdctcp_case_count.n[c - 1]);", "this_cpu_inc(tdctcp_case_count.n[0]);", "tdctcp"),
    ("counter reset accepts any number", "tcp_tdctcp.c",
     "if (kstrtouint_from_user(buf, len, 10, &v) || v)",
     "if (kstrtouint_from_user(buf, len, 10, &v))", "tdctcp"),
    ("auto_thresholds ignored", "tcp_tdctcp.c",
     "\tif (p->auto_thresholds)\n", "\tif (0)\n", "tdctcp"),
    ("auto thresholds use minRTT as the rate's RTT", "tcp_tdctcp.c",
     "div_u64((u64)pkts * rtt_us,", "div_u64((u64)pkts * min_rtt_us,", "tdctcp"),
    ("auto T_high from the low count", "tcp_tdctcp.c",
     "\t\t\t\t\t     p->auto_high_pkts);", "\t\t\t\t\t     p->auto_low_pkts);", "tdctcp"),
    ("deferred cut recomputes T_high", "tcp_tdctcp.c",
     "\tp.t_high_us = ca->t_high_us;\n", "", "tdctcp"),
    ("trace event reports cwnd after as before", "tcp_tdctcp.c",
     "\t\t\t      cwnd, target);", "\t\t\t      cwnd, cwnd);", "tdctcp"),
]


def run_mutant(name, path, old, new, binary, work):
    src = TOP / path
    text = src.read_text()
    if text.count(old) != 1:
        return "stale", f"pattern occurs {text.count(old)} times in {path}"
    tree = Path(work)
    for f in SOURCES:
        shutil.copy(TOP / f, tree / f)
    (tree / path).write_text(text.replace(old, new))
    unit = tree / "tests" / "unit"
    target = f"build/test_{binary}"
    build = subprocess.run(["make", "-s", target], cwd=unit, capture_output=True, text=True)
    if build.returncode != 0:
        return "invalid", "the mutant does not compile: fix its text"
    run = subprocess.run([str(unit / target)], cwd=unit, capture_output=True, text=True)
    if run.returncode != 0:
        failing = [ln.split(" - ", 1)[1] for ln in run.stdout.splitlines() if ln.startswith("not ok")]
        return "killed", ", ".join(failing)[:100] or "aborted (sanitizer)"
    return "survived", "no test failed"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-k", default="", help="only mutants whose name contains this")
    ap.add_argument("-j", type=int, default=os.cpu_count() or 1, help="mutants built at once")
    args = ap.parse_args()
    chosen = [m for m in MUTANTS if args.k in m[0]]
    with tempfile.TemporaryDirectory() as base:
        # one copy of the tree per worker: a mutant rewrites its sources
        trees = queue.SimpleQueue()
        for i in range(args.j):
            work = Path(base) / str(i)
            shutil.copytree(TOP / "tests" / "unit", work / "tests" / "unit",
                            ignore=shutil.ignore_patterns("build", "__pycache__"))
            trees.put(work)

        def one(mutant):
            work = trees.get()
            try:
                return run_mutant(*mutant, work)
            finally:
                trees.put(work)

        with concurrent.futures.ThreadPoolExecutor(args.j) as pool:
            verdicts = list(pool.map(one, chosen))
    killed = survived = 0
    for (name, *_), (verdict, why) in zip(chosen, verdicts, strict=True):
        ok = verdict == "killed"
        killed += ok
        survived += not ok
        print(f"{'ok' if ok else 'not ok'} - mutant '{name}': {verdict} ({why})", flush=True)
    print(f"{killed} passed, {survived} failed")
    return 0 if survived == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
