/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the DCTCP-family code needs from the kernel, for a BPF struct_ops
 * build (DCTCP_BPF defined): the same congestion-control source then
 * compiles with clang -target bpf against vmlinux.h instead of the kernel
 * headers.  Everything here stands in for a kernel facility a BPF program
 * cannot call; the algorithm code itself is not changed for BPF.
 *
 *   __tcp_send_ack()        the bpf_tcp_send_ack() helper (5.6)
 *   tcp_slow_start(),       kfuncs of BPF congestion controls (5.13);
 *   tcp_cong_avoid_ai(),    called directly
 *   tcp_reno_*()
 *   tcp_is_cwnd_limited(),  static inline in net/tcp.h: restated here from
 *   tcp_in_slow_start(),    the fields they read (6.1's definitions)
 *   tcp_in_initial_slowstart(),
 *   tcp_min_rtt()
 *   icsk_ca_ops <- reno     a program cannot swap a socket's operations:
 *                           bpf_setsockopt(TCP_CONGESTION, "reno")
 *   module parameters       global variables in the .data.params section
 *                           (every __read_mostly variable), one array map
 *                           that scripts/bpf-cc writes after checking the
 *                           range the module states for the parameter
 *   this_cpu_inc()          an atomic add on a global (.bss): a BPF program
 *                           has no per-CPU globals (a per-CPU array map
 *                           would be one more map for bpf-cc to read)
 *   div_s64()               BPF before cpu v4 has no signed division: the
 *                           quotient of the magnitudes, truncated toward
 *                           zero as div_s64() is
 *
 * Field accesses go through vmlinux.h's preserve_access_index, so one
 * object relocates to the layout of the kernel it is loaded into (CO-RE).
 */
#ifndef _TCP_DCTCP_BPF_H
#define _TCP_DCTCP_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* from include/linux: limits, and the macros the algorithm code uses */
#define U8_MAX		((u8)~0U)
#define U32_MAX		((u32)~0U)
#define S32_MAX		((s32)(U32_MAX >> 1))
#define S32_MIN		((s32)(-S32_MAX - 1))
#define true		1
#define false		0

#define READ_ONCE(x)		(*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, val)	(*(volatile typeof(x) *)&(x) = (val))

/* each argument evaluated once, as the kernel's */
#define min(a, b) ({					\
	typeof(a) __a = (a);				\
	typeof(b) __b = (b);				\
	__a < __b ? __a : __b; })
#define max(a, b) ({					\
	typeof(a) __a = (a);				\
	typeof(b) __b = (b);				\
	__a > __b ? __a : __b; })
#define min_t(t, a, b)	min((t)(a), (t)(b))
#define max_t(t, a, b)	max((t)(a), (t)(b))
#define clamp_t(t, v, lo, hi)	min_t(t, max_t(t, v, lo), hi)
#define min_not_zero(a, b) ({				\
	typeof(a) __x = (a);				\
	typeof(b) __y = (b);				\
	__x == 0 ? __y : (__y == 0 ? __x : min(__x, __y)); })

/* parameters: one writable section, found and set by scripts/bpf-cc */
#define __read_mostly	SEC(".data.params")

#define this_cpu_inc(x)			__sync_fetch_and_add(&(x), 1)

static __always_inline u64 div_u64(u64 dividend, u32 divisor)
{
	return dividend / divisor;
}

static __always_inline s64 div_s64(s64 dividend, s32 divisor)
{
	u64 n = dividend < 0 ? -(u64)dividend : (u64)dividend;
	u32 d = divisor < 0 ? -(u32)divisor : (u32)divisor;
	u64 q = n / d;

	return (dividend < 0) != (divisor < 0) ? -(s64)q : (s64)q;
}

/* include/net/tcp.h */
#define TCP_ECN_OK		1
#define TCP_ECN_DEMAND_CWR	4
#define sk_state		__sk_common.skc_state

static __always_inline bool before(u32 seq1, u32 seq2)
{
	return (s32)(seq1 - seq2) < 0;
}

static __always_inline struct tcp_sock *tcp_sk(const struct sock *sk)
{
	return (struct tcp_sock *)sk;
}

static __always_inline struct inet_connection_sock *inet_csk(const struct sock *sk)
{
	return (struct inet_connection_sock *)sk;
}

static __always_inline void *inet_csk_ca(const struct sock *sk)
{
	return (void *)inet_csk(sk)->icsk_ca_priv;
}

static __always_inline u32 tcp_snd_cwnd(const struct tcp_sock *tp)
{
	return tp->snd_cwnd;
}

static __always_inline void tcp_snd_cwnd_set(struct tcp_sock *tp, u32 val)
{
	tp->snd_cwnd = val;
}

#define TCP_INFINITE_SSTHRESH	0x7fffffff

static __always_inline bool tcp_in_initial_slowstart(const struct tcp_sock *tp)
{
	return tp->snd_ssthresh >= TCP_INFINITE_SSTHRESH;
}

/* the windowed minimum RTT (win_minmax.h keeps the best sample first) */
static __always_inline u32 tcp_min_rtt(const struct tcp_sock *tp)
{
	return tp->rtt_min.s[0].v;
}

static __always_inline bool tcp_in_slow_start(const struct tcp_sock *tp)
{
	return tcp_snd_cwnd(tp) < tp->snd_ssthresh;
}

static __always_inline bool tcp_is_cwnd_limited(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	if (tp->is_cwnd_limited)
		return true;
	/* in slow start, cwnd may grow to twice what was in flight */
	if (tcp_in_slow_start(tp))
		return tcp_snd_cwnd(tp) < 2 * tp->max_packets_out;
	return false;
}

/* the kfuncs a BPF congestion control may call (net/ipv4/bpf_tcp_ca.c) */
extern u32 tcp_slow_start(struct tcp_sock *tp, u32 acked) __ksym;
extern void tcp_cong_avoid_ai(struct tcp_sock *tp, u32 w, u32 acked) __ksym;
extern void tcp_reno_cong_avoid(struct sock *sk, u32 ack, u32 acked) __ksym;

/* tcp_dctcp_compat.h's interface */
static __always_inline void dctcp_compat_send_ack(struct sock *sk, u32 rcv_nxt)
{
	bpf_tcp_send_ack(sk, rcv_nxt);
}

/* Classic ECN only: AccECN (6.15+) sockets fall back to Reno here */
static __always_inline bool dctcp_compat_ecn_ok(const struct tcp_sock *tp)
{
	return tp->ecn_flags & TCP_ECN_OK;
}

#define SOL_TCP		6
#define TCP_CONGESTION	13

/*
 * No ECN: continue as the kernel's Reno, which also stops ECT on what the
 * socket sends (tcp_init_congestion_control() of the new operations).
 * Allowed from .init only; a second change in the same call is refused.
 */
static __always_inline void dctcp_fall_back_to_reno(struct sock *sk)
{
	static const char reno[] = "reno";

	bpf_setsockopt(sk, SOL_TCP, TCP_CONGESTION, (void *)reno, sizeof(reno));
}

#endif /* _TCP_DCTCP_BPF_H */
