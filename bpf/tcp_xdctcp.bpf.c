// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_xdctcp: xDCTCP (tcp_xdctcp.c) as a BPF struct_ops congestion
 * control, for hosts that may not load modules.  The algorithm is the
 * module's own source, compiled with DCTCP_BPF (tcp_dctcp_bpf.h stands in
 * for the kernel headers); this file adds the operations table and the
 * dctcp_info record (dctcp_info.bpf.h).  Parameters are the module's, in
 * the .data.params map: scripts/bpf-cc set xdctcp NAME VALUE.
 */
#define DCTCP_BPF
#include "../tcp_xdctcp.c"
#include "dctcp_info.bpf.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops/bpf_xdctcp_init")
void BPF_PROG(bpf_xdctcp_init, struct sock *sk)
{
	xdctcp_init(sk);
	if (dctcp_compat_ecn_ok(tcp_sk(sk)))
		dctcp_info_publish(sk);
}

SEC("struct_ops/bpf_xdctcp_release")
void BPF_PROG(bpf_xdctcp_release, struct sock *sk)
{
	dctcp_info_remove(sk);
}

SEC("struct_ops/bpf_xdctcp_in_ack_event")
void BPF_PROG(bpf_xdctcp_in_ack_event, struct sock *sk, u32 flags)
{
	struct dctcp_window_mark mark;

	dctcp_window_mark(sk, &mark);
	xdctcp_in_ack_event(sk, flags);
	if (dctcp_window_ended(sk, &mark))
		dctcp_info_publish(sk);
}

SEC("struct_ops/bpf_xdctcp_cwnd_event")
void BPF_PROG(bpf_xdctcp_cwnd_event, struct sock *sk, enum tcp_ca_event ev)
{
#ifdef DCTCP_COMPAT_TX_START_OP
	dctcp_base_cwnd_event(sk, ev);
#else
	xdctcp_cwnd_event(sk, ev);
#endif
}

#ifdef DCTCP_COMPAT_TX_START_OP
SEC("struct_ops/bpf_xdctcp_tx_start")
void BPF_PROG(bpf_xdctcp_cwnd_event_tx_start, struct sock *sk)
{
	xdctcp_tx_start(sk);
}
#endif

SEC("struct_ops/bpf_xdctcp_ssthresh")
u32 BPF_PROG(bpf_xdctcp_ssthresh, struct sock *sk)
{
	return dctcp_base_ssthresh(sk);
}

SEC("struct_ops/bpf_xdctcp_cong_avoid")
void BPF_PROG(bpf_xdctcp_cong_avoid, struct sock *sk, u32 ack, u32 acked)
{
	tcp_reno_cong_avoid(sk, ack, acked);
}

SEC("struct_ops/bpf_xdctcp_undo_cwnd")
u32 BPF_PROG(bpf_xdctcp_undo_cwnd, struct sock *sk)
{
	return dctcp_base_undo_cwnd(sk);
}

SEC("struct_ops/bpf_xdctcp_set_state")
void BPF_PROG(bpf_xdctcp_set_state, struct sock *sk, u8 new_state)
{
	dctcp_base_set_state(sk, new_state);
}

SEC(".struct_ops")
struct tcp_congestion_ops bpf_xdctcp = {
	.init		= (void *)bpf_xdctcp_init,
	.release	= (void *)bpf_xdctcp_release,
	.in_ack_event	= (void *)bpf_xdctcp_in_ack_event,
	.cwnd_event	= (void *)bpf_xdctcp_cwnd_event,
#ifdef DCTCP_COMPAT_TX_START_OP
	.cwnd_event_tx_start = (void *)bpf_xdctcp_cwnd_event_tx_start,
#endif
	.ssthresh	= (void *)bpf_xdctcp_ssthresh,
	.cong_avoid	= (void *)bpf_xdctcp_cong_avoid,
	.undo_cwnd	= (void *)bpf_xdctcp_undo_cwnd,
	.set_state	= (void *)bpf_xdctcp_set_state,
	.flags		= TCP_CONG_NEEDS_ECN,
	.name		= "bpf_xdctcp",
};
