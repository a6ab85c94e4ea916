/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel interfaces the DCTCP-family modules use that changed
 * between Linux 6.1 and the newest release they are built against.
 * Everything version-dependent is here, so the congestion-control code
 * reads the same on every kernel.
 *
 *   6.15  __tcp_send_ack() takes TCP header flags to OR into the ACK
 *         ("tcp: Pass flags to __tcp_send_ack", AccECN series)
 *   6.15  TCP_ECN_OK gave way to ECN modes, RFC 3168 or AccECN, asked
 *         with tcp_ecn_mode_any() ("tcp: helpers for ECN mode handling")
 *   7.1   CA_EVENT_TX_START is no longer passed to .cwnd_event but to
 *         its own op, .cwnd_event_tx_start
 *
 * Stable and distribution kernels backport these (Debian's 6.12.117 has
 * the 6.15 __tcp_send_ack), so Kbuild reads the net/tcp.h being built
 * against and defines DCTCP_COMPAT_SEND_ACK_FLAGS and
 * DCTCP_COMPAT_TX_START_OP from what it finds; TCP_ECN_OK is a macro and
 * tested here.  Without that probe (DCTCP_PROBED undefined: a build that
 * does not use our Kbuild, or the unit tests) the kernel version decides.
 */
#ifndef _TCP_DCTCP_COMPAT_H
#define _TCP_DCTCP_COMPAT_H

#include <linux/version.h>
#include <net/tcp.h>

#ifndef DCTCP_PROBED
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 15, 0)
#define DCTCP_COMPAT_SEND_ACK_FLAGS
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 1, 0)
#define DCTCP_COMPAT_TX_START_OP
#endif
#endif /* !DCTCP_PROBED */

#ifndef TCP_ECN_OK
#define DCTCP_COMPAT_ECN_MODES
#endif

/* ACK the data up to rcv_nxt now, with no extra header flags. */
static inline void dctcp_compat_send_ack(struct sock *sk, u32 rcv_nxt)
{
#ifdef DCTCP_COMPAT_SEND_ACK_FLAGS
	__tcp_send_ack(sk, rcv_nxt, 0);
#else
	__tcp_send_ack(sk, rcv_nxt);
#endif
}

/* Did the handshake negotiate ECN (classic RFC 3168, or AccECN)? */
static inline bool dctcp_compat_ecn_ok(const struct tcp_sock *tp)
{
#ifdef DCTCP_COMPAT_ECN_MODES
	return tcp_ecn_mode_any(tp);
#else
	return tp->ecn_flags & TCP_ECN_OK;
#endif
}

#endif /* _TCP_DCTCP_COMPAT_H */
