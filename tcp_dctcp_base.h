/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DCTCP machinery shared by the xdctcp and tdctcp congestion controls.
 *
 * DCTCP in a nutshell (Alizadeh et al., "Data Center TCP", SIGCOMM 2010):
 *
 *   switch:   mark CE when the instantaneous queue is longer than K packets
 *   receiver: echo the CE state of the data back exactly, as ECE on ACKs,
 *             with a two-state machine that keeps delayed ACKs honest
 *   sender:   once per window of data
 *                 alpha <- (1 - g) * alpha + g * F
 *             where F is the fraction of packets delivered in the window
 *             whose ACKs carried ECE; on ECE (CWR) the window becomes the
 *             module's backoff, DCTCP's being cwnd * (1 - alpha / 2)
 *
 * Everything but the backoff lives here, written once: the alpha
 * estimator, the receiver's CE machine, loss handling and undo, the
 * fallback to Reno when ECN was not negotiated, the inet_diag record
 * that "ss -ti" prints as dctcp:(ce_state,alpha,ab_ecn,ab_tot), and the
 * range-checked module parameters.
 *
 * A module defines DCTCP_CA_NAME, includes this header once, places
 * struct dctcp_base first in its private state and defines
 * dctcp_ca_backoff(), the window it wants after an ECE.
 *
 * The same source builds a BPF struct_ops congestion control when
 * DCTCP_BPF is defined (bpf/, make bpf): tcp_dctcp_bpf.h then stands in
 * for the kernel headers, and what only a module can have (the inet_diag
 * record, its own Reno operations, module parameter parsing) is left out.
 *
 * Fixed point: alpha and every gain or factor are fractions of
 * DCTCP_ONE (1024 = 1.0); alpha_1024 = 512 means that, on recent
 * windows, half the delivered packets were marked.
 */
#ifndef _TCP_DCTCP_BASE_H
#define _TCP_DCTCP_BASE_H

#ifdef DCTCP_BPF
#include "tcp_dctcp_bpf.h"
#else
#include <linux/inet_diag.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <net/inet_ecn.h>
#include <net/tcp.h>

#include "tcp_dctcp_compat.h"
#endif

#ifndef DCTCP_CA_NAME
#error "define DCTCP_CA_NAME (the module's name) before including this header"
#endif

#define DCTCP_ONE_SHIFT	10
#define DCTCP_ONE	1024U	/* 1.0 for alpha and factors: 1 << DCTCP_ONE_SHIFT */
#define DCTCP_MIN_CWND	2U	/* segments: no backoff goes below this */

/* Per-socket DCTCP state; the first member of each module's private state */
struct dctcp_base {
	u32 old_delivered;	/* tp->delivered when this window began */
	u32 old_delivered_ce;	/* tp->delivered_ce when this window began */
	u32 next_seq;		/* the window ends when snd_una reaches this */
	u32 alpha_1024;		/* ECN fraction estimate, 0..DCTCP_ONE */
	u32 loss_cwnd;		/* cwnd before the last reduction, for undo */
	u32 prior_rcv_nxt;	/* receiver: rcv_nxt before the last segment */
	u32 ce_state;		/* receiver: 1 if the last segment carried CE */
	u32 msg_delivered;	/* tp->delivered when the last message began */
	u32 msg_delivered_ce;	/* tp->delivered_ce when the last message began */
	u32 msg_retrans;	/* tp->total_retrans when the last message began */
};

/* The window a module wants after ECE, in segments (floored by caller) */
static u32 dctcp_ca_backoff(struct sock *sk, u32 cwnd);

static inline struct dctcp_base *dctcp_base(const struct sock *sk)
{
	return inet_csk_ca(sk);
}

/*
 * alpha after one window in which @delivered packets were delivered and
 * @delivered_ce of them were ECE-marked, for gain g = g_1024 / 1024:
 *
 *	alpha - g * alpha + g * F,  g * F = g_1024 * delivered_ce / delivered
 *
 * g * alpha is rounded down, except that it is never zero while alpha is
 * positive: an unmarked path decays alpha to exactly zero instead of
 * leaving it stuck at a small residue.  For g_1024 = 1024 >> s this is
 * bit for bit the shift arithmetic of the kernel's dctcp with shift_g = s.
 */
static inline u32 dctcp_alpha_ewma(u32 alpha_1024, u32 delivered,
				   u32 delivered_ce, u32 g_1024)
{
	u32 decay = (u32)(((u64)alpha_1024 * g_1024) >> DCTCP_ONE_SHIFT);

	alpha_1024 -= min_not_zero(alpha_1024, decay);
	if (delivered_ce) {
		u64 gain = div_u64((u64)delivered_ce * g_1024,
				   max(delivered, 1U));

		alpha_1024 = (u32)min_t(u64, alpha_1024 + gain, DCTCP_ONE);
	}
	return alpha_1024;
}

/* @cwnd less @cut segments, never below DCTCP_MIN_CWND */
static inline u32 dctcp_cwnd_cut(u32 cwnd, u64 cut)
{
	if (cut >= cwnd)
		return DCTCP_MIN_CWND;
	return max(cwnd - (u32)cut, DCTCP_MIN_CWND);
}

/* Start the next observation window at what has been sent so far */
static inline void dctcp_base_new_window(const struct tcp_sock *tp,
					 struct dctcp_base *ca)
{
	ca->next_seq = tp->snd_nxt;
	ca->old_delivered = tp->delivered;
	ca->old_delivered_ce = tp->delivered_ce;
}

/*
 * Sender, on every ACK: once snd_una passes the end of the window, fold
 * the window's ECE fraction into alpha and open the next window.
 * Returns true when a window ended.
 */
static inline bool dctcp_base_update_alpha(struct sock *sk, u32 g_1024)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	struct dctcp_base *ca = dctcp_base(sk);
	u32 alpha_1024;

	/* the handshake's ACK comes before init(): no window is open yet */
	if (sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_SYN_RECV)
		return false;
	if (before(tp->snd_una, ca->next_seq))
		return false;

	alpha_1024 = dctcp_alpha_ewma(ca->alpha_1024,
				      tp->delivered - ca->old_delivered,
				      tp->delivered_ce - ca->old_delivered_ce,
				      g_1024);
	/* get_info reads alpha without the socket lock */
	WRITE_ONCE(ca->alpha_1024, alpha_1024);
	dctcp_base_new_window(tp, ca);
	return true;
}

/* Sender, on ECE (the kernel enters CWR) and before a loss reduction */
static u32 dctcp_base_ssthresh(struct sock *sk)
{
	u32 cwnd = tcp_snd_cwnd(tcp_sk(sk));

	dctcp_base(sk)->loss_cwnd = cwnd;
	return max(dctcp_ca_backoff(sk, cwnd), DCTCP_MIN_CWND);
}

/* Sender, on loss: halve the window as Reno does (once per window) */
static inline void dctcp_base_react_to_loss(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 cwnd = tcp_snd_cwnd(tp);

	dctcp_base(sk)->loss_cwnd = cwnd;
	tp->snd_ssthresh = max(cwnd >> 1, DCTCP_MIN_CWND);
}

/* Entering fast recovery marks the one loss reaction of this window */
static void dctcp_base_set_state(struct sock *sk, u8 new_state)
{
	if (new_state == TCP_CA_Recovery &&
	    new_state != inet_csk(sk)->icsk_ca_state)
		dctcp_base_react_to_loss(sk);
}

/* Receiver: ECE on the ACKs we send mirrors @ce_state */
static inline void dctcp_ece_set(struct sock *sk, u32 ce_state)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (ce_state)
		tp->ecn_flags |= TCP_ECN_DEMAND_CWR;
	else
		tp->ecn_flags &= ~TCP_ECN_DEMAND_CWR;
}

/*
 * Receiver: the two-state CE machine of the DCTCP paper (Figure 10).
 * A delayed ACK must describe the data it covers.  When a segment
 * arrives whose CE state differs from its predecessors', a pending
 * delayed ACK goes out at once, with the old ECE state and covering only
 * the data up to the previous segment; the new segment is then ACKed
 * immediately with the new state.
 */
static inline void dctcp_ce_state_update(struct sock *sk, u32 new_ce_state)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct dctcp_base *ca = dctcp_base(sk);

	if (ca->ce_state != new_ce_state) {
		if (icsk->icsk_ack.pending & ICSK_ACK_TIMER) {
			dctcp_ece_set(sk, ca->ce_state);
			dctcp_compat_send_ack(sk, ca->prior_rcv_nxt);
		}
		icsk->icsk_ack.pending |= ICSK_ACK_NOW;
	}
	ca->prior_rcv_nxt = tcp_sk(sk)->rcv_nxt;
	ca->ce_state = new_ce_state;
	dctcp_ece_set(sk, new_ce_state);
}

/*
 * Restart backoff, off by default (DCTCP and the papers restart a message
 * with whatever window the connection has).  A message that begins on an
 * idle connection leaves at once, and in a partition/aggregate fan-in so
 * do its siblings on every other worker: the sum of their windows reaches
 * one switch port within a serialisation time, before any mark can be
 * echoed.  The windows they carry are those the last message grew while
 * its final packets drained.  restart_backoff makes such a message first
 * take a DCTCP cut and go on in congestion avoidance, as after ECE:
 * ssthresh is the cut window even where the floor of DCTCP_MIN_CWND
 * leaves cwnd as it was.  Past the fan-in at which every worker's window
 * is at the floor the cut no longer shrinks what lands on the port, but
 * leaving slow start stops each response from growing its window
 * exponentially into a full buffer:
 *
 *	1 (alpha):	cwnd * (1 - alpha / 2); none while alpha is 0
 *	2 (message):	cwnd * (1 - F / 2), F the fraction of the last
 *			message's delivered packets that were ECE-marked or
 *			had to be retransmitted (at most 1); none when it
 *			saw neither
 *
 * Mode 2 exists because alpha, still near its initial value on a
 * connection that has carried little, cuts short request/responses that
 * saw no congestion at all.  It counts retransmissions because a message
 * that overflowed the buffer delivers most of its packets late, by
 * retransmission through the drained queue, unmarked: counting marks
 * alone, the message that lost most would be cut least.  One idle past
 * the RTO has had its window restarted by the kernel first (RFC 2861),
 * and the cut applies to that.
 *
 * A message starts when the core raises CA_EVENT_TX_START (7.1+: the
 * tx_start op) with nothing outstanding: packets_out == 0, the gate of the
 * kernel's own RFC 2861 restart.  The event also comes with every
 * transmission while nothing counts as in flight, which after a
 * retransmission timeout is every retransmission (the whole window is
 * marked lost): that is the same message, recovering.  The cut itself
 * applies only in the Open state; in Loss, Recovery or CWR the response
 * to the congestion the connection is in owns ssthresh and the window
 * undo restores.  Neither mode cuts the connection's first message (no
 * message has completed: alpha is only its initial value), and the cut
 * never ends the slow start that brings a connection back up to the
 * ssthresh a loss or ECN response set.
 */
#define DCTCP_RESTART_ALPHA	1
#define DCTCP_RESTART_MESSAGE	2

static unsigned int dctcp_restart_backoff __read_mostly;

/* A restart cut replaced whatever decrease the module had pending */
static void dctcp_ca_restart(struct sock *sk);

/* cwnd * (1 - signalled / (2 * delivered)), never below DCTCP_MIN_CWND */
static inline u32 dctcp_restart_window(u32 cwnd, u32 signalled, u32 delivered)
{
	return dctcp_cwnd_cut(cwnd, div_u64((u64)cwnd * signalled,
					    2 * max(delivered, 1U)));
}

/* Has a new message begun: nothing outstanding at all? */
static inline bool dctcp_message_starts(const struct tcp_sock *tp)
{
	return !tp->packets_out;
}

static inline void dctcp_base_tx_start(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct dctcp_base *ca = dctcp_base(sk);
	u32 delivered = tp->delivered - ca->msg_delivered;
	u32 signalled = tp->delivered_ce - ca->msg_delivered_ce +
			tp->total_retrans - ca->msg_retrans;
	u32 mode = READ_ONCE(dctcp_restart_backoff);
	u32 cwnd = tcp_snd_cwnd(tp);
	u32 target;

	if (!dctcp_message_starts(tp))
		return;
	ca->msg_delivered = tp->delivered;
	ca->msg_delivered_ce = tp->delivered_ce;
	ca->msg_retrans = tp->total_retrans;
	if (inet_csk(sk)->icsk_ca_state != TCP_CA_Open || !delivered)
		return;
	if (mode == DCTCP_RESTART_ALPHA && ca->alpha_1024)
		target = dctcp_restart_window(cwnd, ca->alpha_1024, DCTCP_ONE);
	else if (mode == DCTCP_RESTART_MESSAGE && signalled)
		target = dctcp_restart_window(cwnd, min(signalled, delivered),
					      delivered);
	else
		return;
	if (target < cwnd) {
		ca->loss_cwnd = cwnd;
		tcp_snd_cwnd_set(tp, target);
	}
	/* not below the ssthresh of a response that slow start regains */
	if (cwnd >= tp->snd_ssthresh || tcp_in_initial_slowstart(tp))
		tp->snd_ssthresh = target;
	dctcp_ca_restart(sk);
}

static void dctcp_base_cwnd_event(struct sock *sk, enum tcp_ca_event ev)
{
	switch (ev) {
	case CA_EVENT_ECN_IS_CE:
		dctcp_ce_state_update(sk, 1);
		break;
	case CA_EVENT_ECN_NO_CE:
		dctcp_ce_state_update(sk, 0);
		break;
	case CA_EVENT_LOSS:		/* retransmission timeout */
		dctcp_base_react_to_loss(sk);
		break;
#ifndef DCTCP_COMPAT_TX_START_OP
	case CA_EVENT_TX_START:		/* its own op from 7.1 on */
		dctcp_base_tx_start(sk);
		break;
#endif
	default:
		break;
	}
}

/* A spurious reduction is undone to the window before it */
static u32 dctcp_base_undo_cwnd(struct sock *sk)
{
	return max(tcp_snd_cwnd(tcp_sk(sk)), dctcp_base(sk)->loss_cwnd);
}

/*
 * The DCTCP record of a socket running DCTCP: what "ss -ti" prints as
 * dctcp:(ce_state:..,alpha:..,ab_ecn:..,ab_tot:..).  ab_ecn and ab_tot
 * are the bytes marked and delivered in this window.
 */
static inline void dctcp_base_fill_info(struct sock *sk,
					struct tcp_dctcp_info *info)
{
	const struct dctcp_base *ca = dctcp_base(sk);
	const struct tcp_sock *tp = tcp_sk(sk);

	info->dctcp_enabled = 1;
	info->dctcp_ce_state = (u16)ca->ce_state;
	info->dctcp_alpha = READ_ONCE(ca->alpha_1024);
	info->dctcp_ab_ecn = tp->mss_cache *
			     (tp->delivered_ce - ca->old_delivered_ce);
	info->dctcp_ab_tot = tp->mss_cache *
			     (tp->delivered - ca->old_delivered);
}

#ifndef DCTCP_BPF
static struct tcp_congestion_ops dctcp_base_reno;

/*
 * inet_diag: the DCTCP record for every module built on this base, or
 * "dctcp fallback mode" once a socket fell back to Reno.  ss asks for the
 * Vegas record; either request is answered.
 */
static size_t dctcp_base_get_info(struct sock *sk, u32 ext, int *attr,
				  union tcp_cc_info *info)
{
	if (!(ext & (1 << (INET_DIAG_DCTCPINFO - 1))) &&
	    !(ext & (1 << (INET_DIAG_VEGASINFO - 1))))
		return 0;

	memset(&info->dctcp, 0, sizeof(info->dctcp));
	if (READ_ONCE(inet_csk(sk)->icsk_ca_ops) != &dctcp_base_reno)
		dctcp_base_fill_info(sk, &info->dctcp);
	*attr = INET_DIAG_DCTCPINFO;
	return sizeof(info->dctcp);
}

/* No ECN: this module's Reno operations, and no ECT on what is sent */
static inline void dctcp_fall_back_to_reno(struct sock *sk)
{
	/* get_info reads the ops without the socket lock */
	WRITE_ONCE(inet_csk(sk)->icsk_ca_ops, &dctcp_base_reno);
	INET_ECN_dontxmit(sk);
}
#endif /* !DCTCP_BPF */

/*
 * Connection set-up.  Returns true when the socket runs DCTCP.  Without
 * ECN (the peer did not negotiate it) the socket switches to this
 * module's Reno operations (the kernel's, for a BPF build) and stops
 * setting ECT on what it sends.
 * Listeners and not-yet-connected sockets keep DCTCP: their children
 * and their handshake decide.
 */
static inline bool dctcp_base_init(struct sock *sk, u32 alpha_init_1024)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	struct dctcp_base *ca = dctcp_base(sk);

	if (dctcp_compat_ecn_ok(tp) ||
	    sk->sk_state == TCP_LISTEN || sk->sk_state == TCP_CLOSE) {
		ca->alpha_1024 = min(alpha_init_1024, DCTCP_ONE);
		ca->loss_cwnd = 0;
		ca->prior_rcv_nxt = tp->rcv_nxt;
		ca->ce_state = 0;
		ca->msg_delivered = tp->delivered;
		ca->msg_delivered_ce = tp->delivered_ce;
		ca->msg_retrans = tp->total_retrans;
		dctcp_base_new_window(tp, ca);
		return true;
	}

	dctcp_fall_back_to_reno(sk);
	return false;
}

#ifndef DCTCP_BPF

/* What a socket without ECN runs: Reno, reporting the fallback to ss */
static struct tcp_congestion_ops dctcp_base_reno __read_mostly = {
	.ssthresh	= tcp_reno_ssthresh,
	.cong_avoid	= tcp_reno_cong_avoid,
	.undo_cwnd	= tcp_reno_undo_cwnd,
	.get_info	= dctcp_base_get_info,
	.owner		= THIS_MODULE,
	.name		= DCTCP_CA_NAME "-reno",
};

/*
 * Module parameters: unsigned integers with an inclusive range, parsed by
 * the kernel's param_set_uint_minmax() (decimal, or 0x hexadecimal and 0
 * octal as every uint parameter).  A write that is malformed, negative,
 * too large for 32 bits or out of range is refused with -EINVAL and the
 * old value stays.  The kernel's parameter lock serialises writes; the
 * fast path reads each value once with READ_ONCE().
 */
static inline int dctcp_param_set_range(const char *val,
					const struct kernel_param *kp,
					unsigned int min, unsigned int max)
{
	return param_set_uint_minmax(val, kp, min, max) ? -EINVAL : 0;
}

/* A gain, in 1/1024: above zero, at most 1 */
static int dctcp_param_set_gain(const char *val, const struct kernel_param *kp)
{
	return dctcp_param_set_range(val, kp, 1, DCTCP_ONE);
}

static const struct kernel_param_ops dctcp_param_gain = {
	.set = dctcp_param_set_gain,
	.get = param_get_uint,
};

/* A factor, in 1/1024: from 0 to 1 */
static int dctcp_param_set_factor(const char *val,
				  const struct kernel_param *kp)
{
	return dctcp_param_set_range(val, kp, 0, DCTCP_ONE);
}

static const struct kernel_param_ops dctcp_param_factor = {
	.set = dctcp_param_set_factor,
	.get = param_get_uint,
};

/* A switch: 0 (off) or 1 (on) */
static int dctcp_param_set_switch(const char *val,
				  const struct kernel_param *kp)
{
	return dctcp_param_set_range(val, kp, 0, 1);
}

static const struct kernel_param_ops dctcp_param_switch = {
	.set = dctcp_param_set_switch,
	.get = param_get_uint,
};

/* restart_backoff: 0 (off), DCTCP_RESTART_ALPHA or DCTCP_RESTART_MESSAGE */
static int dctcp_param_set_restart(const char *val,
				   const struct kernel_param *kp)
{
	return dctcp_param_set_range(val, kp, 0, DCTCP_RESTART_MESSAGE);
}

static const struct kernel_param_ops dctcp_param_restart = {
	.set = dctcp_param_set_restart,
	.get = param_get_uint,
};

#endif /* !DCTCP_BPF */

#endif /* _TCP_DCTCP_BASE_H */
