/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trace event of the tdctcp controller: one record per decision.
 *
 *	trace-cmd record -e tdctcp
 *	echo 1 > /sys/kernel/tracing/events/tdctcp/enable
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM tdctcp

#if !defined(_TCP_TDCTCP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TCP_TDCTCP_TRACE_H

#include <linux/tracepoint.h>
#include <net/inet_sock.h>

TRACE_EVENT(tdctcp_decision,
	    TP_PROTO(const struct sock *sk, u32 rtt_us, u32 min_rtt_us,
		     s32 gradient_1024, u32 alpha_1024, u8 tcase,
		     u32 cwnd_before, u32 cwnd_after),
	    TP_ARGS(sk, rtt_us, min_rtt_us, gradient_1024, alpha_1024, tcase,
		    cwnd_before, cwnd_after),
	    TP_STRUCT__entry(__field(const void *, skaddr)
			     __field(u16, sport)
			     __field(u16, dport)
			     __field(u32, rtt_us)
			     __field(u32, min_rtt_us)
			     __field(s32, gradient_1024)
			     __field(u32, alpha_1024)
			     __field(u8, tcase)
			     __field(u32, cwnd_before)
			     __field(u32, cwnd_after)),
	    TP_fast_assign(__entry->skaddr = sk;
			   __entry->sport = ntohs(inet_sk(sk)->inet_sport);
			   __entry->dport = ntohs(inet_sk(sk)->inet_dport);
			   __entry->rtt_us = rtt_us;
			   __entry->min_rtt_us = min_rtt_us;
			   __entry->gradient_1024 = gradient_1024;
			   __entry->alpha_1024 = alpha_1024;
			   __entry->tcase = tcase;
			   __entry->cwnd_before = cwnd_before;
			   __entry->cwnd_after = cwnd_after;),
	    TP_printk("sport=%u dport=%u case=%u rtt_us=%u min_rtt_us=%u gradient_1024=%d alpha_1024=%u cwnd=%u->%u",
		      __entry->sport, __entry->dport, __entry->tcase,
		      __entry->rtt_us, __entry->min_rtt_us,
		      __entry->gradient_1024, __entry->alpha_1024,
		      __entry->cwnd_before, __entry->cwnd_after)
);

#endif /* _TCP_TDCTCP_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE tcp_tdctcp_trace
#include <trace/define_trace.h>
