/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a BPF build adds around the shared DCTCP code: the DCTCP record of
 * every socket, where ss can read it for a module (get_info) but not for a
 * BPF congestion control (Linux 6.1 refuses get_info in struct_ops; later
 * kernels too).  Each socket's record is kept in the dctcp_info map, keyed
 * by its addresses and ports, refreshed when its alpha window ends and
 * removed when the socket releases the congestion control.  scripts/bpf-cc
 * info prints it as ss prints the module's.
 */
#ifndef _DCTCP_INFO_BPF_H
#define _DCTCP_INFO_BPF_H

#include <bpf/bpf_endian.h>

#define AF_INET		2
#define AF_INET6	10
#define TCP_CONG_NEEDS_ECN	0x2

/* A connection, from this host's side; ports in host byte order */
struct dctcp_flow {
	u32 family;
	u16 sport;
	u16 dport;
	u8 saddr[16];		/* IPv4: the first four bytes */
	u8 daddr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct dctcp_flow);
	__type(value, struct tcp_dctcp_info);
} dctcp_info SEC(".maps");

static __always_inline void dctcp_flow_of(const struct sock *sk,
					  struct dctcp_flow *flow)
{
	const struct sock_common *skc = &sk->__sk_common;

	__builtin_memset(flow, 0, sizeof(*flow));
	flow->family = skc->skc_family;
	flow->sport = skc->skc_num;
	flow->dport = bpf_ntohs(skc->skc_dport);
	if (flow->family == AF_INET6) {
		__builtin_memcpy(flow->saddr, &skc->skc_v6_rcv_saddr, 16);
		__builtin_memcpy(flow->daddr, &skc->skc_v6_daddr, 16);
	} else {
		__builtin_memcpy(flow->saddr, &skc->skc_rcv_saddr, 4);
		__builtin_memcpy(flow->daddr, &skc->skc_daddr, 4);
	}
}

/* The socket's DCTCP record into dctcp_info */
static __always_inline void dctcp_info_publish(struct sock *sk)
{
	struct tcp_dctcp_info info = {};
	struct dctcp_flow flow;

	dctcp_flow_of(sk, &flow);
	dctcp_base_fill_info(sk, &info);
	bpf_map_update_elem(&dctcp_info, &flow, &info, BPF_ANY);
}

static __always_inline void dctcp_info_remove(struct sock *sk)
{
	struct dctcp_flow flow;

	dctcp_flow_of(sk, &flow);
	bpf_map_delete_elem(&dctcp_info, &flow);
}

/*
 * What the record publishes of a window, taken before an ACK and compared
 * after it.  A window that ends moves at least one of them: next_seq if
 * anything new was sent, old_delivered if anything was delivered, alpha
 * if it decayed; one that moves none leaves the record as it was.
 */
struct dctcp_window_mark {
	u32 next_seq;
	u32 old_delivered;
	u32 alpha_1024;
};

static __always_inline void dctcp_window_mark(struct sock *sk,
					      struct dctcp_window_mark *m)
{
	const struct dctcp_base *ca = dctcp_base(sk);

	m->next_seq = ca->next_seq;
	m->old_delivered = ca->old_delivered;
	m->alpha_1024 = ca->alpha_1024;
}

/* Has an alpha window ended since @m was taken? */
static __always_inline bool dctcp_window_ended(struct sock *sk,
					       const struct dctcp_window_mark *m)
{
	const struct dctcp_base *ca = dctcp_base(sk);

	return ca->next_seq != m->next_seq ||
	       ca->old_delivered != m->old_delivered ||
	       ca->alpha_1024 != m->alpha_1024;
}

#endif /* _DCTCP_INFO_BPF_H */
