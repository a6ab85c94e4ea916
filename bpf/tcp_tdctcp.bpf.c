// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_tdctcp: T-DCTCP (tcp_tdctcp.c) as a BPF struct_ops congestion
 * control, for hosts that may not load modules.  The algorithm is the
 * module's own source, compiled with DCTCP_BPF (tcp_dctcp_bpf.h stands in
 * for the kernel headers); this file adds the operations table and the
 * dctcp_info record (dctcp_info.bpf.h).  Parameters are the module's, in
 * the .data.params map: scripts/bpf-cc set tdctcp NAME VALUE.  The
 * per-case counters (the module's debugfs case_count) are
 * tdctcp_case_count in the .bss map: scripts/bpf-cc counts.
 *
 * A BPF program cannot define a trace event: the module's
 * tdctcp:tdctcp_decision has no counterpart here.
 */
#include "../tcp_dctcp_bpf.h"

static __always_inline void trace_tdctcp_decision(struct sock *sk, u32 rtt_us,
						  u32 min_rtt_us,
						  s32 gradient_1024,
						  u32 alpha_1024, int c,
						  u32 cwnd, u32 target)
{
}

#define DCTCP_BPF
#include "../tcp_tdctcp.c"
#include "dctcp_info.bpf.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops/bpf_tdctcp_init")
void BPF_PROG(bpf_tdctcp_init, struct sock *sk)
{
	tdctcp_init(sk);
	if (dctcp_compat_ecn_ok(tcp_sk(sk)))
		dctcp_info_publish(sk);
}

SEC("struct_ops/bpf_tdctcp_release")
void BPF_PROG(bpf_tdctcp_release, struct sock *sk)
{
	dctcp_info_remove(sk);
}

SEC("struct_ops/bpf_tdctcp_in_ack_event")
void BPF_PROG(bpf_tdctcp_in_ack_event, struct sock *sk, u32 flags)
{
	struct dctcp_window_mark mark;

	dctcp_window_mark(sk, &mark);
	tdctcp_in_ack_event(sk, flags);
	if (dctcp_window_ended(sk, &mark))
		dctcp_info_publish(sk);
}

SEC("struct_ops/bpf_tdctcp_pkts_acked")
void BPF_PROG(bpf_tdctcp_pkts_acked, struct sock *sk,
	      const struct ack_sample *sample)
{
	tdctcp_pkts_acked(sk, sample);
}

SEC("struct_ops/bpf_tdctcp_cwnd_event")
void BPF_PROG(bpf_tdctcp_cwnd_event, struct sock *sk, enum tcp_ca_event ev)
{
	dctcp_base_cwnd_event(sk, ev);
}

#ifdef DCTCP_COMPAT_TX_START_OP
SEC("struct_ops/bpf_tdctcp_tx_start")
void BPF_PROG(bpf_tdctcp_cwnd_event_tx_start, struct sock *sk)
{
	dctcp_base_tx_start(sk);
}
#endif

SEC("struct_ops/bpf_tdctcp_ssthresh")
u32 BPF_PROG(bpf_tdctcp_ssthresh, struct sock *sk)
{
	return dctcp_base_ssthresh(sk);
}

SEC("struct_ops/bpf_tdctcp_cong_avoid")
void BPF_PROG(bpf_tdctcp_cong_avoid, struct sock *sk, u32 ack, u32 acked)
{
	tdctcp_cong_avoid(sk, ack, acked);
}

SEC("struct_ops/bpf_tdctcp_undo_cwnd")
u32 BPF_PROG(bpf_tdctcp_undo_cwnd, struct sock *sk)
{
	return dctcp_base_undo_cwnd(sk);
}

SEC("struct_ops/bpf_tdctcp_set_state")
void BPF_PROG(bpf_tdctcp_set_state, struct sock *sk, u8 new_state)
{
	dctcp_base_set_state(sk, new_state);
}

SEC(".struct_ops")
struct tcp_congestion_ops bpf_tdctcp = {
	.init		= (void *)bpf_tdctcp_init,
	.release	= (void *)bpf_tdctcp_release,
	.in_ack_event	= (void *)bpf_tdctcp_in_ack_event,
	.pkts_acked	= (void *)bpf_tdctcp_pkts_acked,
	.cwnd_event	= (void *)bpf_tdctcp_cwnd_event,
#ifdef DCTCP_COMPAT_TX_START_OP
	.cwnd_event_tx_start = (void *)bpf_tdctcp_cwnd_event_tx_start,
#endif
	.ssthresh	= (void *)bpf_tdctcp_ssthresh,
	.cong_avoid	= (void *)bpf_tdctcp_cong_avoid,
	.undo_cwnd	= (void *)bpf_tdctcp_undo_cwnd,
	.set_state	= (void *)bpf_tdctcp_set_state,
	.flags		= TCP_CONG_NEEDS_ECN,
	.name		= "bpf_tdctcp",
};
