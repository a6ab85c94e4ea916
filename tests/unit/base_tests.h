/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tests of tcp_dctcp_base.h and of the module parameters, run against
 * each module: the including file has compiled the module's source and
 * defines MODULE_OPS, the module's tcp_congestion_ops, and
 * EXPECTED_ECE_WINDOW, the module's window after an ECE at cwnd 64 and
 * alpha 1/2 with nothing else known (a new, short flow for xdctcp).
 */
#include <math.h>
#include <stdlib.h>

#include "harness.h"

#define MSS 1448

static struct tcp_sock *tp;
static struct sock *sk;

/* An established ECN connection running the module */
static struct dctcp_base *setup(void)
{
	tp = kstub_sock();
	sk = &tp->icsk.sk;
	tp->icsk.icsk_ca_ops = &MODULE_OPS;
	MODULE_OPS.init(sk);
	return dctcp_base(sk);
}

/* Send @n segments and have all of them ACKed, @ce of them with ECE */
static void window(u32 n, u32 ce)
{
	tp->snd_nxt += n * MSS;
	tp->snd_una = tp->snd_nxt;
	tp->delivered += n;
	tp->delivered_ce += ce;
	tp->bytes_acked += (u64)n * MSS;
	tp->icsk.icsk_ca_ops->in_ack_event(sk, 0);
}

/*
 * An independent model of the alpha estimator for the property tests, in
 * double precision: alpha (1/1024) after a window of @n deliveries, @ce
 * of them marked, with gain g / 1024.  A decay that rounds to nothing
 * takes the rest, so an unmarked path reaches exactly zero.
 */
static unsigned int model_alpha(unsigned int alpha, u32 n, u32 ce,
				unsigned int g)
{
	double decay = floor(alpha * (double)g / 1024.0);
	double gain = ce ? floor((double)ce * g / (n ? n : 1)) : 0.0;

	alpha = decay > 0 ? alpha - (unsigned int)decay : 0;
	return (unsigned int)fmin(alpha + gain, 1024.0);
}

/* xorshift64: a fixed seed, so every run tests the same sequences */
static u64 rng_state = 0x9e3779b97f4a7c15ULL;

/* uniform in [0, n), or any u32 for n = 0 */
static u32 rnd(u32 n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (u32)(rng_state % n) : (u32)rng_state;
}

/*
 * The model of restart_backoff for the property tests: the window a
 * message that starts in the Open state gets in @mode, after a last
 * message that delivered @delivered packets, @signalled of them marked or
 * retransmitted, with alpha @alpha.  False when it takes no cut.
 */
static bool model_restart(u32 mode, unsigned int alpha, u32 cwnd,
			  u32 delivered, u32 signalled, u32 *target)
{
	unsigned __int128 cut;

	if (!delivered)				/* the first message */
		return false;
	if (mode == 1 && alpha)
		cut = (unsigned __int128)cwnd * alpha / 2048;
	else if (mode == 2 && signalled)
		cut = (unsigned __int128)cwnd * min(signalled, delivered) /
		      (2ULL * delivered);
	else
		return false;
	*target = cut + 2 > cwnd ? 2 : cwnd - (u32)cut;
	return true;
}

/* ssthresh after a restart cut to @target: not below one slow start regains */
static u32 model_restart_ssthresh(u32 cwnd, u32 ssthresh, u32 target)
{
	return cwnd >= ssthresh || ssthresh >= TCP_INFINITE_SSTHRESH ?
	       target : ssthresh;
}

static int param_write(const char *name, const char *val)
{
	const struct kernel_param *kp = kstub_param(name);

	return kp->ops->set(val, kp);
}

static int param_write_u(const char *name, unsigned int v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	return param_write(name, buf);
}

static unsigned int param_read(const char *name)
{
	const struct kernel_param *kp = kstub_param(name);
	char buf[64];

	kp->ops->get(buf, kp);
	return (unsigned int)strtoul(buf, NULL, 10);
}

/* Registration: the name, ECN needed, and a fallback of its own */
TEST(base_module_registers)
{
	char reno_name[TCP_CA_NAME_MAX];

	EXPECT_EQ(kstub_module_init(), 0);
	EXPECT_TRUE(kstub_registered == &MODULE_OPS);
	EXPECT_EQ(strcmp(MODULE_OPS.name, DCTCP_CA_NAME), 0);
	EXPECT_TRUE(MODULE_OPS.flags & TCP_CONG_NEEDS_ECN);
	snprintf(reno_name, sizeof(reno_name), "%s-reno", DCTCP_CA_NAME);
	EXPECT_EQ(strcmp(dctcp_base_reno.name, reno_name), 0);
	EXPECT_EQ(dctcp_base_reno.flags & TCP_CONG_NEEDS_ECN, 0);
	kstub_module_exit();
	EXPECT_TRUE(kstub_registered == NULL);
}

/*
 * alpha folds one window's ECE fraction in, once per window.  With g = 1/4:
 *   10 of 10 marked:  1024 - 256 + 256        = 1024
 *   empty window:     1024 - 256              = 768
 *   5 of 10 marked:   768 - 192 + 5*256/10    = 704
 */
TEST(base_alpha_updates_once_per_window)
{
	unsigned int g = param_read("g");
	struct dctcp_base *ca;

	EXPECT_EQ(param_write("g", "256"), 0);
	ca = setup();
	window(10, 10);
	EXPECT_EQ(ca->alpha_1024, 1024);
	/* ten more segments sent; an ACK with nothing new closes the
	 * (empty) window and opens one that ends at the new snd_nxt
	 */
	tp->snd_nxt += 10 * MSS;
	MODULE_OPS.in_ack_event(sk, 0);
	EXPECT_EQ(ca->alpha_1024, 768);
	EXPECT_EQ(ca->next_seq, tp->snd_nxt);
	tp->snd_una += 5 * MSS;
	tp->delivered += 5;
	tp->delivered_ce += 5;
	MODULE_OPS.in_ack_event(sk, 0);
	EXPECT_EQ(ca->alpha_1024, 768);		/* mid-window: unchanged */
	tp->snd_una += 5 * MSS;
	tp->delivered += 5;
	MODULE_OPS.in_ack_event(sk, 0);
	EXPECT_EQ(ca->alpha_1024, 704);		/* window end: F = 1/2 */
	EXPECT_EQ(ca->old_delivered, tp->delivered);
	EXPECT_EQ(ca->old_delivered_ce, tp->delivered_ce);
	EXPECT_EQ(ca->next_seq, tp->snd_nxt);
	param_write_u("g", g);
}

/*
 * The kernel processes the ACK of the handshake (tcp_ack() on the SYN-ACK,
 * or on the third segment of a passive open) before it calls init(), with
 * the private state still zero: next_seq = 0, which half of all initial
 * sequence numbers lie past.  That ACK must not end a window (tdctcp
 * would count a decision for a connection that has not started).
 */
TEST(base_handshake_ack_before_init_ends_no_window)
{
	static const int states[] = { TCP_SYN_SENT, TCP_SYN_RECV };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct dctcp_base *ca;

		tp = kstub_sock();
		sk = &tp->icsk.sk;
		tp->icsk.icsk_ca_ops = &MODULE_OPS;
		ca = dctcp_base(sk);
		sk->sk_state = states[i];
		tp->snd_una = 0x10000000;	/* not before(snd_una, 0) */
		tp->snd_nxt = tp->snd_una;
		tp->delivered = 1;
		MODULE_OPS.in_ack_event(sk, 0);
		EXPECT_EQ(ca->next_seq, 0);
		EXPECT_EQ(ca->old_delivered, 0);
		sk->sk_state = TCP_ESTABLISHED;
		MODULE_OPS.in_ack_event(sk, 0);
		EXPECT_EQ(ca->next_seq, tp->snd_nxt);	/* established: it does */
	}
}

/* Without ECN the socket becomes Reno and stops sending ECT */
TEST(base_falls_back_to_reno_without_ecn)
{
	union tcp_cc_info info;
	int attr = 0;

	tp = kstub_sock();
	sk = &tp->icsk.sk;
	tp->ecn_flags = 0;
	tp->icsk.icsk_ca_ops = &MODULE_OPS;
	MODULE_OPS.init(sk);
	EXPECT_TRUE(tp->icsk.icsk_ca_ops == &dctcp_base_reno);
	EXPECT_EQ(tp->tos & INET_ECN_MASK, 0);
	EXPECT_EQ(dctcp_base_reno.get_info(sk, 1 << (INET_DIAG_VEGASINFO - 1),
					   &attr, &info), sizeof(info.dctcp));
	EXPECT_EQ(attr, INET_DIAG_DCTCPINFO);
	EXPECT_EQ(info.dctcp.dctcp_enabled, 0);
	/* Reno's halving, not DCTCP's alpha */
	tp->snd_cwnd = 40;
	EXPECT_EQ(tp->icsk.icsk_ca_ops->ssthresh(sk), 20);
}

/* Listeners and unconnected sockets keep the module: the handshake decides */
TEST(base_listener_keeps_module)
{
	tp = kstub_sock();
	sk = &tp->icsk.sk;
	tp->ecn_flags = 0;
	sk->sk_state = TCP_LISTEN;
	tp->icsk.icsk_ca_ops = &MODULE_OPS;
	MODULE_OPS.init(sk);
	EXPECT_TRUE(tp->icsk.icsk_ca_ops == &MODULE_OPS);
	sk->sk_state = TCP_CLOSE;
	MODULE_OPS.init(sk);
	EXPECT_TRUE(tp->icsk.icsk_ca_ops == &MODULE_OPS);
	EXPECT_EQ(tp->tos & INET_ECN_MASK, 2);
}

/* ss -ti: the DCTCP record with alpha and this window's bytes */
TEST(base_get_info_fills_dctcp_record)
{
	struct dctcp_base *ca = setup();
	union tcp_cc_info info;
	int attr = 0;

	window(10, 10);
	tp->delivered += 4;
	tp->delivered_ce += 1;
	ca->ce_state = 1;
	EXPECT_EQ(MODULE_OPS.get_info(sk, 0, &attr, &info), 0);
	EXPECT_EQ(MODULE_OPS.get_info(sk, 1 << (INET_DIAG_DCTCPINFO - 1),
				      &attr, &info), sizeof(info.dctcp));
	EXPECT_EQ(attr, INET_DIAG_DCTCPINFO);
	EXPECT_EQ(info.dctcp.dctcp_enabled, 1);
	EXPECT_EQ(info.dctcp.dctcp_ce_state, 1);
	EXPECT_EQ(info.dctcp.dctcp_alpha, ca->alpha_1024);
	EXPECT_EQ(info.dctcp.dctcp_ab_ecn, 1 * MSS);
	EXPECT_EQ(info.dctcp.dctcp_ab_tot, 4 * MSS);
}

/* Loss halves once per window (entering recovery), RTO halves, undo restores */
TEST(base_loss_halves_once_and_undo_restores)
{
	setup();
	tp->snd_cwnd = 41;
	tp->icsk.icsk_ca_state = TCP_CA_Open;
	MODULE_OPS.set_state(sk, TCP_CA_Recovery);
	EXPECT_EQ(tp->snd_ssthresh, 20);
	tp->icsk.icsk_ca_state = TCP_CA_Recovery;
	tp->snd_cwnd = 30;
	tp->snd_ssthresh = 25;
	MODULE_OPS.set_state(sk, TCP_CA_Recovery);	/* already in it */
	EXPECT_EQ(tp->snd_ssthresh, 25);
	tp->snd_cwnd = 20;
	EXPECT_EQ(MODULE_OPS.undo_cwnd(sk), 41);

	tp->icsk.icsk_ca_state = TCP_CA_Open;
	tp->snd_cwnd = 3;
	MODULE_OPS.cwnd_event(sk, CA_EVENT_LOSS);
	EXPECT_EQ(tp->snd_ssthresh, 2);		/* floor */
	tp->snd_cwnd = 1;
	EXPECT_EQ(MODULE_OPS.undo_cwnd(sk), 3);
	tp->snd_cwnd = 50;
	EXPECT_EQ(MODULE_OPS.undo_cwnd(sk), 50);	/* never shrinks */
}

/*
 * ECE, as the core handles it (tcp_enter_cwr(): ssthresh, then CWR): the
 * module's backoff, EXPECTED_ECE_WINDOW(64, alpha 1/2), and undo restores
 */
TEST(base_ece_reduction_can_be_undone)
{
	setup()->alpha_1024 = 512;
	tp->snd_cwnd = 64;
	kstub_enter_cwr(sk);
	EXPECT_EQ(tp->snd_ssthresh, EXPECTED_ECE_WINDOW);
	EXPECT_EQ(tp->icsk.icsk_ca_state, TCP_CA_CWR);
	EXPECT_EQ(tp->prior_cwnd, 64);
	/* a second ECE in the same reduction asks nothing */
	tp->snd_cwnd = 50;
	kstub_enter_cwr(sk);
	EXPECT_EQ(tp->snd_ssthresh, EXPECTED_ECE_WINDOW);
	tp->snd_cwnd = 10;
	EXPECT_EQ(MODULE_OPS.undo_cwnd(sk), 64);
}

/*
 * Fast retransmit as the core does it: tcp_enter_recovery() asks ssthresh
 * first (the ECN backoff), then set_state(Recovery) halves the window as
 * DCTCP does: the loss response wins.
 */
TEST(base_fast_recovery_halves_after_ssthresh)
{
	setup()->alpha_1024 = 512;
	tp->snd_cwnd = 41;
	kstub_enter_recovery(sk);
	EXPECT_EQ(tp->snd_ssthresh, 20);
	EXPECT_EQ(tp->icsk.icsk_ca_state, TCP_CA_Recovery);
	EXPECT_EQ(dctcp_base(sk)->loss_cwnd, 41);
	/* more losses in the same recovery: no second halving */
	tp->snd_cwnd = 30;
	kstub_enter_recovery(sk);
	EXPECT_EQ(tp->snd_ssthresh, 20);
	tp->snd_cwnd = 20;
	EXPECT_EQ(MODULE_OPS.undo_cwnd(sk), 41);

	/* ECE first, then a loss in the same window: halved from CWR's window */
	setup()->alpha_1024 = 512;
	tp->snd_cwnd = 64;
	kstub_enter_cwr(sk);
	EXPECT_EQ(tp->snd_ssthresh, EXPECTED_ECE_WINDOW);
	tp->snd_cwnd = 60;
	kstub_enter_recovery(sk);
	EXPECT_EQ(tp->snd_ssthresh, 30);
	EXPECT_EQ(dctcp_base(sk)->loss_cwnd, 60);
}

/*
 * Retransmission timeout (tcp_enter_loss(): everything outstanding is
 * lost, ssthresh, then CA_EVENT_LOSS): half the window, once, cwnd 1
 */
TEST(base_rto_halves_once)
{
	setup()->alpha_1024 = 0;
	tp->snd_cwnd = 40;
	tp->packets_out = 40;
	tp->snd_nxt = tp->snd_una + 40 * MSS;
	kstub_enter_loss(sk);
	EXPECT_EQ(tp->snd_ssthresh, 20);
	EXPECT_EQ(tp->snd_cwnd, 1);
	EXPECT_EQ(tp->icsk.icsk_ca_state, TCP_CA_Loss);
	EXPECT_EQ(tcp_packets_in_flight(tp), 0);
	/* a second timeout before anything new was acknowledged: no new cut */
	tp->snd_cwnd = 2;
	kstub_enter_loss(sk);
	EXPECT_EQ(tp->snd_ssthresh, 20);
	EXPECT_EQ(MODULE_OPS.undo_cwnd(sk), 40);
}

/*
 * restart_backoff: a message starting with nothing outstanding first takes
 * a DCTCP cut, in congestion avoidance: by alpha/2 (1), or by half the
 * fraction of the last message marked or retransmitted (2, none after a
 * message with neither), ending slow start even where the floor leaves
 * cwnd as it was; off, or with data in flight, the window is left alone
 */
TEST(base_restart_backoff)
{
	setup()->alpha_1024 = 512;
	tp->snd_cwnd = 40;
	tp->snd_ssthresh = TCP_INFINITE_SSTHRESH;	/* slow start */
	window(20, 10);
	dctcp_base(sk)->alpha_1024 = 512;
	EXPECT_TRUE(kstub_tx_start(sk));
	EXPECT_EQ(tp->snd_cwnd, 40);			/* off by default */
	EXPECT_EQ(param_write("restart_backoff", "1"), 0);
	window(20, 10);
	dctcp_base(sk)->alpha_1024 = 512;
	EXPECT_TRUE(kstub_tx_start(sk));
	EXPECT_EQ(tp->snd_cwnd, 30);			/* alpha 1/2: 40 - 40 / 4 */
	EXPECT_EQ(tp->snd_ssthresh, 30);
	EXPECT_EQ(MODULE_OPS.undo_cwnd(sk), 40);
	tp->packets_out = 5;
	EXPECT_TRUE(!kstub_tx_start(sk));		/* in flight: no event */
	EXPECT_EQ(tp->snd_cwnd, 30);
	tp->packets_out = 0;
	window(20, 0);
	dctcp_base(sk)->alpha_1024 = 0;
	tp->snd_ssthresh = TCP_INFINITE_SSTHRESH;
	EXPECT_TRUE(kstub_tx_start(sk));
	EXPECT_EQ(tp->snd_cwnd, 30);			/* alpha 0: untouched */
	EXPECT_EQ(tp->snd_ssthresh, TCP_INFINITE_SSTHRESH);	/* slow start */
	tp->snd_cwnd = 2;
	window(2, 2);
	dctcp_base(sk)->alpha_1024 = DCTCP_ONE;
	EXPECT_TRUE(kstub_tx_start(sk));
	EXPECT_EQ(tp->snd_cwnd, 2);			/* at the floor: no cut, */
	EXPECT_EQ(tp->snd_ssthresh, 2);			/* but slow start ends */
	tp->snd_cwnd = 30;

	EXPECT_EQ(param_write("restart_backoff", "2"), 0);
	tp->snd_cwnd = 40;
	dctcp_base(sk)->alpha_1024 = DCTCP_ONE;
	window(20, 0);				/* unmarked, whatever alpha says */
	EXPECT_TRUE(kstub_tx_start(sk));
	EXPECT_EQ(tp->snd_cwnd, 40);
	window(20, 10);				/* half of it marked */
	EXPECT_TRUE(kstub_tx_start(sk));
	EXPECT_EQ(tp->snd_cwnd, 30);			/* 40 - 40 * 10 / 40 */
	EXPECT_TRUE(kstub_tx_start(sk));		/* nothing since: no cut */
	EXPECT_EQ(tp->snd_cwnd, 30);
	window(20, 20);
	EXPECT_TRUE(kstub_tx_start(sk));
	EXPECT_EQ(tp->snd_cwnd, 15);			/* all marked: halved */
	tp->snd_cwnd = 40;
	window(20, 0);
	tp->total_retrans += 10;		/* half of it lost, none marked */
	EXPECT_TRUE(kstub_tx_start(sk));
	EXPECT_EQ(tp->snd_cwnd, 30);
	window(20, 15);
	tp->total_retrans += 15;		/* more signals than packets */
	EXPECT_TRUE(kstub_tx_start(sk));
	EXPECT_EQ(tp->snd_cwnd, 15);			/* F at most 1: halved */
	EXPECT_TRUE(kstub_tx_start(sk));		/* counted once */
	EXPECT_EQ(tp->snd_cwnd, 15);
	window(20, 0);				/* clean after lossy ones */
	EXPECT_TRUE(kstub_tx_start(sk));
	EXPECT_EQ(tp->snd_cwnd, 15);
	tp->snd_cwnd = 3;
	window(2, 2);
	EXPECT_TRUE(kstub_tx_start(sk));
	EXPECT_EQ(tp->snd_cwnd, 2);			/* never below the floor */
	tp->snd_ssthresh = TCP_INFINITE_SSTHRESH;
	window(2, 2);
	EXPECT_TRUE(kstub_tx_start(sk));
	EXPECT_EQ(tp->snd_cwnd, 2);
	EXPECT_EQ(tp->snd_ssthresh, 2);		/* congestion avoidance */
	tp->snd_ssthresh = TCP_INFINITE_SSTHRESH;
	window(2, 0);
	EXPECT_TRUE(kstub_tx_start(sk));
	EXPECT_EQ(tp->snd_ssthresh, TCP_INFINITE_SSTHRESH);	/* clean */
	/* at a window of 1 (after a timeout), the floor raises nothing */
	tp->snd_cwnd = 1;
	window(2, 2);
	EXPECT_TRUE(kstub_tx_start(sk));
	EXPECT_EQ(tp->snd_cwnd, 1);
	EXPECT_EQ(dctcp_restart_window(100, 1, 1), 50);
	EXPECT_EQ(dctcp_restart_window(100, 1, 1000), 100);	/* rounds down */
	EXPECT_EQ(dctcp_restart_window(100, 3, 0), 2);	/* no division by 0 */
	EXPECT_EQ(param_write("restart_backoff", "3"), -EINVAL);
	EXPECT_EQ(param_read("restart_backoff"), 2);
	EXPECT_EQ(param_write("restart_backoff", "0"), 0);
}

/* A message that marks half its packets, on a connection in avoidance */
static void marked_message(u32 cwnd)
{
	tp->snd_cwnd = cwnd;
	tp->snd_ssthresh = cwnd;
	window(cwnd, cwnd / 2);
	dctcp_base(sk)->alpha_1024 = 512;
}

/*
 * A retransmission timeout marks the whole window lost: nothing counts as
 * in flight, so the core raises TX_START for each retransmission that goes
 * out with nothing else in flight.  That is the same message, recovering:
 * in either mode ssthresh stays what the loss response set (40 -> 20), the
 * window and the undo state too, while the retransmissions are ACKed and
 * after; the next message is cut from the window slow start regained, and
 * ssthresh stays the loss response's while slow start regains it.
 */
TEST(base_restart_backoff_leaves_the_timeout_response)
{
	static const char *const modes[] = { "1", "2" };
	unsigned int i, k;

	for (i = 0; i < 2; i++) {
		EXPECT_EQ(param_write("restart_backoff", modes[i]), 0);
		setup();
		marked_message(40);
		EXPECT_TRUE(kstub_tx_start(sk));	/* cut: 40 -> 30 */
		tp->snd_cwnd = 40;
		tp->packets_out = 40;
		tp->snd_nxt += 40 * MSS;
		kstub_enter_loss(sk);
		EXPECT_EQ(tp->snd_ssthresh, 20);
		EXPECT_EQ(tp->snd_cwnd, 1);
		tp->is_cwnd_limited = 1;
		for (k = 0; k < 6; k++) {
			/* a retransmission: the core raises the event */
			EXPECT_TRUE(kstub_tx_start(sk));
			EXPECT_EQ(tp->snd_ssthresh, 20);
			EXPECT_EQ(tp->snd_cwnd, 1 + k);
			/* ... and its ACK: one more segment delivered */
			tp->snd_una += MSS;
			tp->packets_out--;
			tp->lost_out--;
			tp->delivered++;
			tp->total_retrans++;
			MODULE_OPS.in_ack_event(sk, 0);
			MODULE_OPS.cong_avoid(sk, 0, 1);
		}
		EXPECT_EQ(MODULE_OPS.undo_cwnd(sk), 40);
		/* the rest acknowledged: back to Open, still the loss response */
		tp->snd_una = tp->snd_nxt;
		tp->delivered += tp->packets_out;
		tp->total_retrans += tp->packets_out;	/* all retransmitted */
		tp->packets_out = tp->lost_out = 0;
		MODULE_OPS.in_ack_event(sk, 0);
		kstub_set_ca_state(sk, TCP_CA_Open);
		EXPECT_EQ(tp->snd_ssthresh, 20);
		EXPECT_EQ(tp->snd_cwnd, 7);
		/* the next message: cut, but slow start still regains 20 */
		dctcp_base(sk)->alpha_1024 = DCTCP_ONE;
		EXPECT_TRUE(kstub_tx_start(sk));
		EXPECT_EQ(tp->snd_cwnd, 4);		/* alpha 1, or F = 1 */
		EXPECT_EQ(tp->snd_ssthresh, 20);
		EXPECT_EQ(kstub_warnings, 0);
	}
	EXPECT_EQ(param_write("restart_backoff", "0"), 0);
}

/*
 * In fast recovery, or in CWR, a send with nothing in flight (everything
 * outstanding SACKed or lost, or everything delivered while the ECN
 * reduction is held until an ACK passes high_seq) takes no restart cut:
 * ssthresh, cwnd and the window undo restores are the response's.
 */
TEST(base_restart_backoff_not_in_a_reduction)
{
	static const char *const modes[] = { "1", "2" };
	unsigned int i;
	u32 cut;

	for (i = 0; i < 2; i++) {
		EXPECT_EQ(param_write("restart_backoff", modes[i]), 0);
		setup();
		marked_message(40);
		tp->packets_out = 20;
		tp->snd_nxt += 20 * MSS;
		kstub_enter_recovery(sk);
		EXPECT_EQ(tp->snd_ssthresh, 20);
		tp->lost_out = 5;
		tp->sacked_out = 15;
		EXPECT_TRUE(kstub_tx_start(sk));
		EXPECT_EQ(tp->snd_ssthresh, 20);
		EXPECT_EQ(tp->snd_cwnd, 40);
		tp->snd_cwnd = 20;
		EXPECT_EQ(MODULE_OPS.undo_cwnd(sk), 40);

		setup();
		marked_message(40);
		kstub_enter_cwr(sk);
		cut = tp->snd_ssthresh;
		EXPECT_TRUE(cut < 40);
		window(40, 20);
		EXPECT_TRUE(kstub_tx_start(sk));	/* all delivered, still CWR */
		EXPECT_EQ(tp->snd_ssthresh, cut);
		EXPECT_EQ(tp->snd_cwnd, 40);
		EXPECT_EQ(MODULE_OPS.undo_cwnd(sk), 40);
		/* the reduction over, the next message is cut */
		kstub_set_ca_state(sk, TCP_CA_Open);
		window(10, 5);
		EXPECT_TRUE(kstub_tx_start(sk));
		EXPECT_TRUE(tp->snd_cwnd < 40);
	}
	EXPECT_EQ(param_write("restart_backoff", "0"), 0);
}

/*
 * A new connection's first message is not cut: alpha is only its initial
 * value, and no message has been delivered to judge by.  SYN
 * retransmissions belong to no message.
 */
TEST(base_restart_backoff_spares_the_first_message)
{
	static const char *const modes[] = { "1", "2" };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		EXPECT_EQ(param_write("restart_backoff", modes[i]), 0);
		tp = kstub_sock();
		sk = &tp->icsk.sk;
		tp->icsk.icsk_ca_ops = &MODULE_OPS;
		tp->total_retrans = 3;			/* the SYN, three times */
		tp->delivered = 1;			/* the SYN, acknowledged */
		MODULE_OPS.init(sk);
		dctcp_base(sk)->alpha_1024 = DCTCP_ONE;
		EXPECT_TRUE(kstub_tx_start(sk));
		EXPECT_EQ(tp->snd_cwnd, 10);		/* the initial window */
		EXPECT_EQ(tp->snd_ssthresh, TCP_INFINITE_SSTHRESH);
		window(20, 0);				/* a clean first message */
		dctcp_base(sk)->alpha_1024 = 0;
		tp->snd_cwnd = 40;
		EXPECT_TRUE(kstub_tx_start(sk));
		EXPECT_EQ(tp->snd_cwnd, 40);
		EXPECT_EQ(tp->snd_ssthresh, TCP_INFINITE_SSTHRESH);
	}
	EXPECT_EQ(param_write("restart_backoff", "0"), 0);
}

/*
 * In avoidance, ssthresh follows the cut; while slow start regains the
 * ssthresh of an earlier response, only cwnd is cut
 */
TEST(base_restart_backoff_ssthresh)
{
	EXPECT_EQ(param_write("restart_backoff", "2"), 0);
	setup();
	tp->snd_cwnd = 30;
	tp->snd_ssthresh = 20;
	window(20, 20);
	EXPECT_TRUE(kstub_tx_start(sk));
	EXPECT_EQ(tp->snd_cwnd, 15);
	EXPECT_EQ(tp->snd_ssthresh, 15);
	tp->snd_cwnd = 10;
	tp->snd_ssthresh = 20;
	window(20, 20);
	EXPECT_TRUE(kstub_tx_start(sk));
	EXPECT_EQ(tp->snd_cwnd, 5);
	EXPECT_EQ(tp->snd_ssthresh, 20);
	EXPECT_EQ(param_write("restart_backoff", "0"), 0);
}

/* The shared cut helper never leaves fewer than two segments */
TEST(base_cwnd_cut_floor)
{
	EXPECT_EQ(dctcp_cwnd_cut(100, 30), 70);
	EXPECT_EQ(dctcp_cwnd_cut(3, 1), 2);
	EXPECT_EQ(dctcp_cwnd_cut(3, 2), 2);
	EXPECT_EQ(dctcp_cwnd_cut(3, 3), 2);
	EXPECT_EQ(dctcp_cwnd_cut(3, ~0ULL), 2);
	EXPECT_EQ(dctcp_cwnd_cut(1, 0), 2);
}

/* Receiver, no delayed ACK pending: a CE change only forces an ACK */
TEST(base_ce_machine_without_pending_ack)
{
	setup();
	tp->rcv_nxt = 1000;
	MODULE_OPS.cwnd_event(sk, CA_EVENT_ECN_NO_CE);
	EXPECT_EQ(tp->icsk.icsk_ack.pending & ICSK_ACK_NOW, 0);
	EXPECT_EQ(tp->ecn_flags & TCP_ECN_DEMAND_CWR, 0);
	tp->rcv_nxt = 2000;
	MODULE_OPS.cwnd_event(sk, CA_EVENT_ECN_IS_CE);
	EXPECT_EQ(kstub_nr_acks, 0);
	EXPECT_TRUE(tp->icsk.icsk_ack.pending & ICSK_ACK_NOW);
	EXPECT_TRUE(tp->ecn_flags & TCP_ECN_DEMAND_CWR);
	/* same state again: nothing forced */
	tp->icsk.icsk_ack.pending = 0;
	tp->rcv_nxt = 3000;
	MODULE_OPS.cwnd_event(sk, CA_EVENT_ECN_IS_CE);
	EXPECT_EQ(tp->icsk.icsk_ack.pending, 0);
	EXPECT_TRUE(tp->ecn_flags & TCP_ECN_DEMAND_CWR);
	EXPECT_EQ(kstub_nr_acks, 0);
}

/* A delayed ACK pending on a CE change goes out at once with the old state */
TEST(base_ce_machine_flushes_delayed_ack_with_old_state)
{
	setup();
	/* two unmarked segments, the delayed-ACK timer armed */
	tp->rcv_nxt = 1000;
	MODULE_OPS.cwnd_event(sk, CA_EVENT_ECN_NO_CE);
	tp->rcv_nxt = 2000;
	MODULE_OPS.cwnd_event(sk, CA_EVENT_ECN_NO_CE);
	tp->icsk.icsk_ack.pending = ICSK_ACK_TIMER;
	/* a CE segment: the pending ACK covers up to 2000, without ECE */
	tp->rcv_nxt = 3000;
	MODULE_OPS.cwnd_event(sk, CA_EVENT_ECN_IS_CE);
	EXPECT_EQ(kstub_nr_acks, 1);
	EXPECT_EQ(kstub_acks[0].rcv_nxt, 2000);
	EXPECT_EQ(kstub_acks[0].ece, 0);
	EXPECT_EQ(kstub_acks[0].flags, 0);	/* a plain ACK, on every kernel */
	EXPECT_TRUE(tp->icsk.icsk_ack.pending & ICSK_ACK_NOW);
	EXPECT_TRUE(tp->ecn_flags & TCP_ECN_DEMAND_CWR);

	/* CE, CE, then unmarked with a delayed ACK pending: old state is CE */
	tp->icsk.icsk_ack.pending = 0;
	tp->rcv_nxt = 4000;
	MODULE_OPS.cwnd_event(sk, CA_EVENT_ECN_IS_CE);
	tp->icsk.icsk_ack.pending = ICSK_ACK_TIMER;
	tp->rcv_nxt = 5000;
	MODULE_OPS.cwnd_event(sk, CA_EVENT_ECN_NO_CE);
	EXPECT_EQ(kstub_nr_acks, 2);
	EXPECT_EQ(kstub_acks[1].rcv_nxt, 4000);
	EXPECT_EQ(kstub_acks[1].ece, 1);
	EXPECT_EQ(tp->ecn_flags & TCP_ECN_DEMAND_CWR, 0);
	EXPECT_TRUE(tp->icsk.icsk_ack.pending & ICSK_ACK_NOW);
}

/* Alternating marks with a timer always pending: one flush per change */
TEST(base_ce_machine_alternating_sequence)
{
	static const int marks[] = { 0, 1, 1, 0, 1, 0, 0, 1 };
	unsigned int i, changes = 0;
	int state = 0;

	setup();
	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		tp->icsk.icsk_ack.pending = ICSK_ACK_TIMER;
		tp->rcv_nxt = 1000 * (i + 1);
		MODULE_OPS.cwnd_event(sk, marks[i] ? CA_EVENT_ECN_IS_CE :
						     CA_EVENT_ECN_NO_CE);
		if (marks[i] != state) {
			EXPECT_EQ(kstub_acks[changes].rcv_nxt, 1000 * i);
			EXPECT_EQ(kstub_acks[changes].ece, state);
			changes++;
		}
		state = marks[i];
		EXPECT_EQ(!!(tp->ecn_flags & TCP_ECN_DEMAND_CWR), state);
	}
	EXPECT_EQ(kstub_nr_acks, changes);
	EXPECT_EQ(changes, 5);
}

/* The range a parameter's description states, its bounds resolved now */
static void param_range(const struct kernel_param *kp, unsigned int *min,
			unsigned int *max)
{
	EXPECT_EQ(kstub_param_range(kp, min, max), 0);
}

/* Every parameter: bounds accepted, anything else refused, old value kept */
TEST(params_refuse_bad_values_and_keep_old)
{
	static const char *const bad[] = {
		"-1", "abc", "", "1.5", " 5", "5x", "0x", "08", "4294967296",
		"99999999999999999999", "--1", "0x100000000",
	};
	unsigned int i, j;

	EXPECT_TRUE(kstub_nr_params() >= 6);
	for (i = 0; i < kstub_nr_params(); i++) {
		const struct kernel_param *kp = kstub_param_at(i);
		unsigned int *value = kstub_param_value(kp);
		unsigned int old = *value, min = 0, max = 0;
		char buf[32];

		param_range(kp, &min, &max);
		EXPECT_EQ(kp->perm, 0644);
		for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
			EXPECT_EQ(kp->ops->set(bad[j], kp), -EINVAL);
			EXPECT_EQ(*value, old);
		}
		EXPECT_EQ(kp->ops->set(NULL, kp), -EINVAL);
		if (min > 0) {
			snprintf(buf, sizeof(buf), "%u", min - 1);
			EXPECT_EQ(kp->ops->set(buf, kp), -EINVAL);
		}
		if (max < UINT_MAX) {
			snprintf(buf, sizeof(buf), "%u", max + 1);
			EXPECT_EQ(kp->ops->set(buf, kp), -EINVAL);
		}
		EXPECT_EQ(*value, old);

		snprintf(buf, sizeof(buf), "%u\n", min);	/* echo adds \n */
		EXPECT_EQ(kp->ops->set(buf, kp), 0);
		EXPECT_EQ(param_read(kp->name), min);
		snprintf(buf, sizeof(buf), "%#x", max);	/* hex, as any uint */
		EXPECT_EQ(kp->ops->set(buf, kp), 0);
		EXPECT_EQ(param_read(kp->name), max);
		snprintf(buf, sizeof(buf), "+%u", old);
		EXPECT_EQ(kp->ops->set(buf, kp), 0);
		EXPECT_EQ(*value, old);
	}
}

/* modinfo text: every parameter states its unit, its range and its default */
TEST(params_descriptions_match_ranges_and_defaults)
{
	unsigned int i;

	for (i = 0; i < kstub_nr_params(); i++) {
		const struct kernel_param *kp = kstub_param_at(i);
		const char *desc = kstub_param_desc(kp->name);
		unsigned int min = 0, max = 0;
		char want[32];

		EXPECT_TRUE(desc != NULL);
		if (!desc)
			continue;
		param_range(kp, &min, &max);
		EXPECT_TRUE(min <= *kstub_param_value(kp));
		EXPECT_TRUE(*kstub_param_value(kp) <= max);
		snprintf(want, sizeof(want), ", default %u",
			 *kstub_param_value(kp));
		if (!strstr(desc, want))
			test_note("%s: \"%s\" lacks \"%s\"", kp->name, desc, want);
		EXPECT_TRUE(strstr(desc, want) != NULL);
		EXPECT_TRUE(strstr(desc, ", in ") || strstr(desc, "boolean"));
	}
}
