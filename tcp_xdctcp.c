// SPDX-License-Identifier: GPL-2.0
/*
 * xDCTCP: DCTCP with flow-size-aware backoff.
 *
 * Nahar, Kumar and Aduri, "xDCTCP: Extended DCTCP", UCSD, 2015.
 *
 * Short flows care about latency, long flows about throughput, so on ECE
 * they back off by different multiples of DCTCP's alpha:
 *
 *	short flow:  cwnd <- cwnd * (1 - ns * alpha)
 *	long flow:   cwnd <- cwnd * (1 - nl * alpha)
 *
 * A flow is short until short_bytes of it have been acknowledged; with
 * idle_restart set, a connection that starts sending again after all its
 * data was acknowledged begins a new flow (a new message on a persistent
 * connection), while one that resumes after a timeout does not.  The
 * poster's optimum is g = 0.09, ns = 0.3, nl = 1.0.
 *
 * With g = 64 (1/16) and ns = nl = 512 (1/2) the arithmetic is exactly
 * that of the kernel's dctcp, which the project tests differentially.
 * All fractions are in 1/1024 (see tcp_dctcp_base.h).
 */

#define DCTCP_CA_NAME "xdctcp"
#include "tcp_dctcp_base.h"

struct xdctcp {
	struct dctcp_base base;	/* must be first */
	u64 flow_start_bytes;	/* tp->bytes_acked when this flow began */
};

/*
 * Parameters: module parameters, or the BPF object's .data.params (set
 * with scripts/bpf-cc, which checks the ranges stated below)
 */

/* alpha's EWMA gain; the poster's 0.09 */
static unsigned int xdctcp_g_1024 __read_mostly = 92;
/* short flows cut by ns * alpha; the poster's 0.3 */
static unsigned int xdctcp_ns_1024 __read_mostly = 307;
/* long flows cut by nl * alpha; the poster's 1.0 */
static unsigned int xdctcp_nl_1024 __read_mostly = 1024;
/* DCTCP's boundary between short messages and background flows */
static unsigned int xdctcp_short_bytes __read_mostly = 1000000;
/* a new flow starts with no information: alpha = 1, as in dctcp */
static unsigned int xdctcp_alpha_init_1024 __read_mostly = 1024;
/* persistent connections carry many messages; each is a flow */
static unsigned int xdctcp_idle_restart __read_mostly = 1;

#ifndef DCTCP_BPF
module_param_cb(g, &dctcp_param_gain, &xdctcp_g_1024, 0644);
__MODULE_PARM_TYPE(g, "uint");
MODULE_PARM_DESC(g, "EWMA gain of alpha, in 1/1024 (range 1-1024, default 92 = 0.09)");

module_param_cb(ns, &dctcp_param_factor, &xdctcp_ns_1024, 0644);
__MODULE_PARM_TYPE(ns, "uint");
MODULE_PARM_DESC(ns, "Short-flow backoff factor, in 1/1024 (range 0-1024, default 307 = 0.3)");

module_param_cb(nl, &dctcp_param_factor, &xdctcp_nl_1024, 0644);
__MODULE_PARM_TYPE(nl, "uint");
MODULE_PARM_DESC(nl, "Long-flow backoff factor, in 1/1024 (range 0-1024, default 1024 = 1.0)");

static int xdctcp_short_bytes_set(const char *val,
				  const struct kernel_param *kp)
{
	return dctcp_param_set_range(val, kp, 0, U32_MAX);
}

static const struct kernel_param_ops xdctcp_short_bytes_ops = {
	.set = xdctcp_short_bytes_set,
	.get = param_get_uint,
};

module_param_cb(short_bytes, &xdctcp_short_bytes_ops, &xdctcp_short_bytes, 0644);
__MODULE_PARM_TYPE(short_bytes, "uint");
MODULE_PARM_DESC(short_bytes, "A flow is short until this many bytes are acknowledged, in bytes (range 0-4294967295, default 1000000)");

module_param_cb(alpha_init, &dctcp_param_factor, &xdctcp_alpha_init_1024, 0644);
__MODULE_PARM_TYPE(alpha_init, "uint");
MODULE_PARM_DESC(alpha_init, "Initial alpha, in 1/1024 (range 0-1024, default 1024 = 1.0)");

/* a message on an idle connection first backs off (tcp_dctcp_base.h) */
module_param_cb(restart_backoff, &dctcp_param_restart, &dctcp_restart_backoff, 0644);
__MODULE_PARM_TYPE(restart_backoff, "uint");
MODULE_PARM_DESC(restart_backoff, "A message starting on an idle connection first cuts cwnd, in mode 0 (no), 1 (by alpha/2) or 2 (by half the fraction of the last message marked or retransmitted) (range 0-2, default 0)");

module_param_cb(idle_restart, &dctcp_param_switch, &xdctcp_idle_restart, 0644);
__MODULE_PARM_TYPE(idle_restart, "uint");
MODULE_PARM_DESC(idle_restart, "Sending again after all data was acknowledged starts a new flow, boolean (range 0-1, default 1)");
#endif /* !DCTCP_BPF */

/* Is a flow that began at @flow_start_bytes still short? */
static inline bool xdctcp_is_short(u64 bytes_acked, u64 flow_start_bytes,
				   u32 short_bytes)
{
	return bytes_acked - flow_start_bytes < short_bytes;
}

/* cwnd * (1 - n * alpha) in segments, for n = ns or nl */
static inline u32 xdctcp_backoff(u32 cwnd, u32 alpha_1024, u32 n_1024)
{
	u64 cut = ((u64)cwnd * n_1024 * alpha_1024) >> (2 * DCTCP_ONE_SHIFT);

	return dctcp_cwnd_cut(cwnd, cut);
}

static u32 dctcp_ca_backoff(struct sock *sk, u32 cwnd)
{
	const struct xdctcp *ca = inet_csk_ca(sk);
	u32 n_1024;

	if (xdctcp_is_short(tcp_sk(sk)->bytes_acked, ca->flow_start_bytes,
			    READ_ONCE(xdctcp_short_bytes)))
		n_1024 = READ_ONCE(xdctcp_ns_1024);
	else
		n_1024 = READ_ONCE(xdctcp_nl_1024);
	return xdctcp_backoff(cwnd, ca->base.alpha_1024, n_1024);
}

/* A restart cut (tcp_dctcp_base.h) replaces no decision of xdctcp's */
static void dctcp_ca_restart(struct sock *sk)
{
}

static void xdctcp_init(struct sock *sk)
{
	struct xdctcp *ca = inet_csk_ca(sk);

	if (dctcp_base_init(sk, READ_ONCE(xdctcp_alpha_init_1024)))
		ca->flow_start_bytes = tcp_sk(sk)->bytes_acked;
}

static void xdctcp_in_ack_event(struct sock *sk, u32 flags)
{
	dctcp_base_update_alpha(sk, READ_ONCE(xdctcp_g_1024));
}

/*
 * CA_EVENT_TX_START, the first transmission with nothing in flight.  With
 * idle_restart, a connection that went idle with all its data
 * acknowledged begins a new flow.  After a retransmission timeout nothing
 * counts as in flight either (the whole window is marked lost), but the
 * data is still outstanding: that is the same flow, recovering.
 */
static void xdctcp_flow_start(struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	struct xdctcp *ca = inet_csk_ca(sk);

	if (READ_ONCE(xdctcp_idle_restart) && !tp->packets_out)
		ca->flow_start_bytes = tp->bytes_acked;
}

/* the base's part of TX_START (restart backoff) comes after the flow's */
#ifdef DCTCP_COMPAT_TX_START_OP
static void xdctcp_tx_start(struct sock *sk)
{
	xdctcp_flow_start(sk);
	dctcp_base_tx_start(sk);
}
#else
static void xdctcp_cwnd_event(struct sock *sk, enum tcp_ca_event ev)
{
	if (ev == CA_EVENT_TX_START)
		xdctcp_flow_start(sk);
	dctcp_base_cwnd_event(sk, ev);
}
#endif

#ifndef DCTCP_BPF
static struct tcp_congestion_ops xdctcp __read_mostly = {
	.init		= xdctcp_init,
	.in_ack_event	= xdctcp_in_ack_event,
#ifdef DCTCP_COMPAT_TX_START_OP
	.cwnd_event	= dctcp_base_cwnd_event,
	.cwnd_event_tx_start = xdctcp_tx_start,
#else
	.cwnd_event	= xdctcp_cwnd_event,
#endif
	.ssthresh	= dctcp_base_ssthresh,
	.cong_avoid	= tcp_reno_cong_avoid,
	.undo_cwnd	= dctcp_base_undo_cwnd,
	.set_state	= dctcp_base_set_state,
	.get_info	= dctcp_base_get_info,
	.flags		= TCP_CONG_NEEDS_ECN,
	.owner		= THIS_MODULE,
	.name		= DCTCP_CA_NAME,
};

static int __init xdctcp_register(void)
{
	BUILD_BUG_ON(sizeof(struct xdctcp) > ICSK_CA_PRIV_SIZE);
	return tcp_register_congestion_control(&xdctcp);
}

static void __exit xdctcp_unregister(void)
{
	tcp_unregister_congestion_control(&xdctcp);
}

module_init(xdctcp_register);
module_exit(xdctcp_unregister);

MODULE_AUTHOR("xdctcp/tdctcp authors");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");
MODULE_DESCRIPTION("xDCTCP: DCTCP with flow-size-aware backoff");
#endif /* !DCTCP_BPF */
