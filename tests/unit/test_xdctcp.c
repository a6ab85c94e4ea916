// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of tcp_xdctcp.c and tcp_dctcp_base.h, compiled from the
 * module's own source against the stand-ins in include/.
 */
#include "../../tcp_xdctcp.c"

#define MODULE_OPS xdctcp
/* a new flow is short: 64 * (1 - 307/1024 * 1/2) = 54.4, rounded up */
#define EXPECTED_ECE_WINDOW 55
#include "base_tests.h"

/* The kernel's dctcp (net/ipv4/tcp_dctcp.c) with shift_g, as a reference */
static u32 ref_dctcp_alpha(u32 alpha, u32 delivered, u32 delivered_ce,
			   unsigned int shift_g)
{
	alpha -= min_not_zero(alpha, alpha >> shift_g);
	if (delivered_ce) {
		delivered_ce <<= (10 - shift_g);
		delivered_ce /= max(1U, delivered);
		alpha = min(alpha + delivered_ce, 1024U);
	}
	return alpha;
}

static u32 ref_dctcp_ssthresh(u32 cwnd, u32 alpha)
{
	return max(cwnd - ((cwnd * alpha) >> 11U), 2U);
}

/* g = 1/16 (64/1024), worked by hand:
 *   all 10 marked:  1024 - 64 + 10*64/10 = 1024
 *   none of 10:     1024 - 64            = 960
 *   none of 10:     960 - 960*64/1024 (60) = 900
 *   5 of 10:        900 - 56 (56.25) + 5*64/10 (32) = 876
 *   none of 20:     876 - 54 (54.75) = 822
 *   3 of 3:         822 - 51 (51.375) + 64 = 835
 */
TEST(alpha_ewma_g_1_16_hand_sequence)
{
	static const u32 d[] = { 10, 10, 10, 10, 20, 3 };
	static const u32 ce[] = { 10, 0, 0, 5, 0, 3 };
	static const u32 want[] = { 1024, 960, 900, 876, 822, 835 };
	u32 alpha = 1024;
	unsigned int i;

	for (i = 0; i < 6; i++) {
		alpha = dctcp_alpha_ewma(alpha, d[i], ce[i], 64);
		EXPECT_EQ(alpha, want[i]);
	}
}

/* g = 92/1024 (0.09), worked by hand:
 *   none of 10:  1024 - 1024*92/1024 (92)            = 932
 *   none of 10:  932 - 83 (83.73)                    = 849
 *   1 of 4:      849 - 76 (76.27) + 1*92/4 (23)      = 796
 *   3 of 3:      796 - 71 (71.51) + 92               = 817
 *   2 of 7:      817 - 73 (73.40) + 2*92/7 (26.29)   = 770
 */
TEST(alpha_ewma_g_92_hand_sequence)
{
	static const u32 d[] = { 10, 10, 4, 3, 7 };
	static const u32 ce[] = { 0, 0, 1, 3, 2 };
	static const u32 want[] = { 932, 849, 796, 817, 770 };
	u32 alpha = 1024;
	unsigned int i;

	for (i = 0; i < 5; i++) {
		alpha = dctcp_alpha_ewma(alpha, d[i], ce[i], 92);
		EXPECT_EQ(alpha, want[i]);
	}
}

/* Small alpha decays to exactly zero; marks beyond deliveries saturate */
TEST(alpha_ewma_edges)
{
	EXPECT_EQ(dctcp_alpha_ewma(11, 10, 0, 92), 0);	/* 11*92/1024 = 0 */
	EXPECT_EQ(dctcp_alpha_ewma(12, 10, 0, 92), 11);	/* 12*92/1024 = 1 */
	EXPECT_EQ(dctcp_alpha_ewma(15, 10, 0, 64), 0);
	EXPECT_EQ(dctcp_alpha_ewma(0, 10, 0, 64), 0);
	EXPECT_EQ(dctcp_alpha_ewma(1024, 1, 1000, 1024), 1024);
	EXPECT_EQ(dctcp_alpha_ewma(0, 0, 5, 64), 320);	/* no div by zero */
	EXPECT_EQ(dctcp_alpha_ewma(0, 0xffffffff, 0xffffffff, 1024), 1024);
	EXPECT_EQ(dctcp_alpha_ewma(500, 8, 8, 1024), 1024);	/* g = 1: F */
	EXPECT_EQ(dctcp_alpha_ewma(500, 8, 2, 1024), 256);
}

/* For power-of-two g the arithmetic is the kernel dctcp's, bit for bit */
TEST(alpha_ewma_equals_dctcp_for_power_of_two_g)
{
	unsigned int shift, i;

	for (shift = 0; shift <= 10; shift++) {
		for (i = 0; i < 20000; i++) {
			u32 alpha = rnd(1025);
			u32 d = rnd(5000);
			u32 ce = d ? rnd(d + 1) : 0;

			EXPECT_EQ(dctcp_alpha_ewma(alpha, d, ce, 1024U >> shift),
				  ref_dctcp_alpha(alpha, d, ce, shift));
		}
	}
}

static void set_flow(u64 acked_in_flow)
{
	struct xdctcp *ca = inet_csk_ca(sk);

	ca->flow_start_bytes = 5000;
	tp->bytes_acked = 5000 + acked_in_flow;
}

/* Short flows cut by ns * alpha, long flows by nl * alpha */
TEST(xdctcp_backoff_short_and_long)
{
	struct dctcp_base *ca = setup();

	ca->alpha_1024 = 1024;
	tp->snd_cwnd = 1024;
	set_flow(0);
	/* 1024 * (1 - 307/1024 * 1) = 717 */
	EXPECT_EQ(MODULE_OPS.ssthresh(sk), 717);
	ca->alpha_1024 = 512;
	tp->snd_cwnd = 2048;
	/* 2048 * (1 - 0.2998 * 0.5) = 2048 - 307 = 1741 */
	EXPECT_EQ(MODULE_OPS.ssthresh(sk), 1741);

	set_flow(xdctcp_short_bytes);
	tp->snd_cwnd = 100;
	/* 100 * (1 - 1.0 * 0.5) = 50 */
	EXPECT_EQ(MODULE_OPS.ssthresh(sk), 50);
	ca->alpha_1024 = 256;
	/* 100 * (1 - 1.0 * 0.25) = 75 */
	EXPECT_EQ(MODULE_OPS.ssthresh(sk), 75);
	ca->alpha_1024 = 0;
	EXPECT_EQ(MODULE_OPS.ssthresh(sk), 100);
}

/* The boundary: short below short_bytes, long from it on */
TEST(xdctcp_threshold_boundary)
{
	struct dctcp_base *ca = setup();

	ca->alpha_1024 = 1024;
	tp->snd_cwnd = 1000;
	set_flow(xdctcp_short_bytes - 1);
	EXPECT_EQ(MODULE_OPS.ssthresh(sk), 1000 - 299);	/* 1000*307/1024 */
	set_flow(xdctcp_short_bytes);
	EXPECT_EQ(MODULE_OPS.ssthresh(sk), 2);		/* 1000 * (1 - 1) */
	EXPECT_TRUE(xdctcp_is_short(0, 0, 1));
	EXPECT_TRUE(!xdctcp_is_short(1, 0, 1));
	EXPECT_TRUE(!xdctcp_is_short(0, 0, 0));		/* 0: all long */
}

/* Never below two segments */
TEST(xdctcp_backoff_floor)
{
	struct dctcp_base *ca = setup();

	ca->alpha_1024 = 1024;
	set_flow(xdctcp_short_bytes);
	tp->snd_cwnd = 3;
	EXPECT_EQ(MODULE_OPS.ssthresh(sk), 2);
	tp->snd_cwnd = 2;
	EXPECT_EQ(MODULE_OPS.ssthresh(sk), 2);
	tp->snd_cwnd = 1;
	EXPECT_EQ(MODULE_OPS.ssthresh(sk), 2);
	EXPECT_EQ(xdctcp_backoff(0xffffffff, 1024, 1024), 2);
	EXPECT_EQ(xdctcp_backoff(0xffffffff, 0, 1024), 0xffffffff);
}

/* g = 1/16, ns = nl = 1/2: xdctcp's window and alpha are dctcp's */
TEST(xdctcp_dctcp_equivalent_setting)
{
	struct dctcp_base *ca;
	u32 ref_alpha = 1024;
	unsigned int i;

	EXPECT_EQ(param_write("g", "64"), 0);
	EXPECT_EQ(param_write("ns", "512"), 0);
	EXPECT_EQ(param_write("nl", "512"), 0);
	ca = setup();
	for (i = 0; i < 5000; i++) {
		u32 n = 1 + rnd(200), ce = rnd(4) ? 0 : rnd(n + 1);

		window(n, ce);
		ref_alpha = ref_dctcp_alpha(ref_alpha, n, ce, 4);
		EXPECT_EQ(ca->alpha_1024, ref_alpha);
		tp->snd_cwnd = 1 + rnd(100000);
		EXPECT_EQ(MODULE_OPS.ssthresh(sk),
			  ref_dctcp_ssthresh(tp->snd_cwnd, ref_alpha));
	}
	EXPECT_EQ(param_write("g", "92"), 0);
	EXPECT_EQ(param_write("ns", "307"), 0);
	EXPECT_EQ(param_write("nl", "1024"), 0);
}

/* Sending again after everything was acknowledged starts a new (short) flow */
TEST(xdctcp_idle_restart_starts_new_flow)
{
	struct xdctcp *xca;
	struct dctcp_base *ca = setup();

	xca = inet_csk_ca(sk);
	ca->alpha_1024 = 1024;
	tp->snd_cwnd = 1000;
	tp->bytes_acked = 3 * (u64)xdctcp_short_bytes;
	EXPECT_EQ(MODULE_OPS.ssthresh(sk), 2);		/* long */
	EXPECT_TRUE(kstub_tx_start(sk));
	EXPECT_EQ(xca->flow_start_bytes, tp->bytes_acked);
	EXPECT_EQ(MODULE_OPS.ssthresh(sk), 701);	/* short again */

	EXPECT_EQ(param_write("idle_restart", "0"), 0);
	tp->bytes_acked += xdctcp_short_bytes;
	EXPECT_TRUE(kstub_tx_start(sk));
	EXPECT_EQ(MODULE_OPS.ssthresh(sk), 2);		/* still long */
	EXPECT_EQ(param_write("idle_restart", "1"), 0);
}

/*
 * A retransmission timeout marks the whole window lost: nothing is in
 * flight, so the retransmission raises TX_START, but the data is still
 * outstanding.  The flow stays long (its cut nl * alpha, not ns * alpha).
 */
TEST(xdctcp_timeout_keeps_long_flow)
{
	struct xdctcp *xca;
	struct dctcp_base *ca = setup();
	u64 start;

	xca = inet_csk_ca(sk);
	start = xca->flow_start_bytes;
	window(1000, 0);			/* 1.4 MB acknowledged: long */
	tp->snd_cwnd = 100;
	tp->packets_out = 100;
	tp->snd_nxt += 100 * MSS;
	EXPECT_TRUE(!kstub_tx_start(sk));	/* in flight: no event */
	kstub_enter_loss(sk);
	EXPECT_EQ(tcp_packets_in_flight(tp), 0);
	EXPECT_TRUE(kstub_tx_start(sk));	/* the retransmission */
	EXPECT_EQ(xca->flow_start_bytes, start);
	ca->alpha_1024 = 512;
	tp->snd_cwnd = 100;
	/* long: 100 * (1 - 1.0 * 1/2) = 50; a restarted flow would get 86 */
	EXPECT_EQ(MODULE_OPS.ssthresh(sk), 50);

	/* recovered, everything acknowledged, then idle: a new flow */
	tp->snd_una = tp->snd_nxt;
	tp->packets_out = 0;
	tp->lost_out = 0;
	tp->bytes_acked += 100 * MSS;
	EXPECT_TRUE(kstub_tx_start(sk));
	EXPECT_EQ(xca->flow_start_bytes, tp->bytes_acked);
	EXPECT_EQ(MODULE_OPS.ssthresh(sk), 86);
}

/* A new connection starts at alpha_init */
TEST(xdctcp_alpha_init)
{
	EXPECT_EQ(setup()->alpha_1024, 1024);
	EXPECT_EQ(param_write("alpha_init", "0"), 0);
	EXPECT_EQ(setup()->alpha_1024, 0);
	EXPECT_EQ(param_write("alpha_init", "1024"), 0);
}

/*
 * An independent model of xdctcp's sender state for the property test:
 * alpha per window (model_alpha), the flow start, the window before the
 * last reduction, and the window an ECE must produce.
 */
struct model {
	unsigned int alpha;	/* 1/1024 */
	u64 flow_start;
	u32 loss_cwnd;
	u32 msg_delivered, msg_ce, msg_retrans;	/* when the message began */
};

static u32 model_backoff(u32 cwnd, unsigned int alpha, u64 in_flow)
{
	unsigned int n = in_flow < param_read("short_bytes") ?
			 param_read("ns") : param_read("nl");
	double cut = floor((double)cwnd * n * alpha / (1024.0 * 1024.0));

	return cut >= cwnd ? 2 : (u32)fmax(cwnd - cut, 2.0);
}

/*
 * Property: long random sequences of windows (marks never more than
 * deliveries), the core's congestion responses in the order it calls the
 * module (ECE, fast recovery, timeout), transmissions after idle or
 * timeout, undo and parameter changes.  After every event the module
 * agrees with the model above: alpha exactly, each ssthresh exactly,
 * undo to the window before the last reduction, no kernel warning.
 * Built with AddressSanitizer and UndefinedBehaviorSanitizer (overflow,
 * shifts, division by zero abort the run).
 */
TEST(xdctcp_property_random_events)
{
	static const char *const names[] = {
		"g", "ns", "nl", "short_bytes", "idle_restart",
		"restart_backoff",
	};
	static const u32 cwnds[] = { 2, 3, 0x7fff0000, 0x7fffffff };
	struct dctcp_base *ca = setup();
	struct xdctcp *xca = inet_csk_ca(sk);
	struct model m = { .alpha = 1024 };
	unsigned int i, bad = 0;

	for (i = 0; i < 200000; i++) {
		u32 ev = rnd(10), v, n;
		char buf[16];

		switch (ev) {
		case 0: case 1: case 2: {
			u32 ce;

			n = rnd(3) ? rnd(100) : rnd(100000);
			ce = rnd(3) ? 0 : rnd(n + 1);
			m.alpha = model_alpha(m.alpha, n, ce,
					      param_read("g"));
			window(n, ce);
			break;
		}
		case 3:		/* ECE: the module's backoff */
			tp->snd_cwnd = rnd(4) ? 2 + rnd(100000) : cwnds[rnd(4)];
			tp->icsk.icsk_ca_state = TCP_CA_Open;
			v = model_backoff(tp->snd_cwnd, m.alpha,
					  tp->bytes_acked - m.flow_start);
			m.loss_cwnd = tp->snd_cwnd;
			kstub_enter_cwr(sk);
			bad += tp->snd_ssthresh != v;
			break;
		case 4:		/* fast retransmit, from Open or CWR */
			m.loss_cwnd = tp->snd_cwnd;
			v = max(tp->snd_cwnd / 2, 2U);
			kstub_enter_recovery(sk);
			bad += tp->snd_ssthresh != v;
			kstub_set_ca_state(sk, TCP_CA_Open);
			break;
		case 5:		/* timeout with the window outstanding */
			tp->icsk.icsk_ca_state = TCP_CA_Open;
			tp->packets_out = 1 + rnd(100);
			tp->snd_nxt = tp->snd_una + tp->packets_out * MSS;
			v = max(tp->snd_cwnd / 2, 2U);
			m.loss_cwnd = tp->snd_cwnd;
			kstub_enter_loss(sk);
			bad += tp->snd_ssthresh != v || tp->snd_cwnd != 1;
			/* the retransmission: same flow, no restart cut */
			tp->total_retrans++;
			bad += !kstub_tx_start(sk);
			bad += tp->snd_ssthresh != v || tp->snd_cwnd != 1;
			/* recovered: everything acknowledged */
			tp->bytes_acked += (u64)tp->packets_out * MSS;
			tp->delivered += tp->packets_out;
			m.alpha = model_alpha(m.alpha, tp->packets_out, 0,
					      param_read("g"));
			tp->snd_una = tp->snd_nxt;
			tp->packets_out = tp->lost_out = 0;
			MODULE_OPS.in_ack_event(sk, 0);
			kstub_set_ca_state(sk, TCP_CA_Open);
			tp->snd_cwnd = max(tp->snd_ssthresh, 2U);
			break;
		case 6:
			v = max(tp->snd_cwnd, m.loss_cwnd);
			tp->snd_cwnd = MODULE_OPS.undo_cwnd(sk);
			bad += tp->snd_cwnd != v;
			break;
		case 7: {	/* idle, then sending again: a new message */
			u32 cwnd = tp->snd_cwnd, ssthresh = tp->snd_ssthresh;
			u32 target = 0;
			bool cuts = tp->icsk.icsk_ca_state == TCP_CA_Open &&
				    model_restart(param_read("restart_backoff"),
						  m.alpha, cwnd,
						  tp->delivered - m.msg_delivered,
						  tp->delivered_ce - m.msg_ce +
						  tp->total_retrans - m.msg_retrans,
						  &target);

			m.msg_delivered = tp->delivered;
			m.msg_ce = tp->delivered_ce;
			m.msg_retrans = tp->total_retrans;
			bad += !kstub_tx_start(sk);
			if (param_read("idle_restart"))
				m.flow_start = tp->bytes_acked;
			if (!cuts) {
				bad += tp->snd_cwnd != cwnd ||
				       tp->snd_ssthresh != ssthresh;
				break;
			}
			bad += tp->snd_cwnd != min(target, cwnd);
			bad += tp->snd_ssthresh !=
			       model_restart_ssthresh(cwnd, ssthresh, target);
			if (target < cwnd)
				m.loss_cwnd = cwnd;
			break;
		}
		case 8:
			n = rnd(6);
			v = n == 5 ? rnd(3) : n == 4 ? rnd(2) : rnd(3) ? rnd(1025) : rnd(0);
			snprintf(buf, sizeof(buf), "%u", v);
			param_write(names[n], buf);
			break;
		default:
			tp->is_cwnd_limited = (u8)rnd(2);
			MODULE_OPS.cong_avoid(sk, tp->snd_una, rnd(64));
			break;
		}
		bad += ca->alpha_1024 != m.alpha;
		bad += xca->flow_start_bytes != m.flow_start;
		bad += ca->loss_cwnd != m.loss_cwnd;
		if (bad) {
			test_note("event %u (%u) broke the model", i, ev);
			break;
		}
	}
	EXPECT_EQ(bad, 0);
	param_write("g", "92");
	param_write("ns", "307");
	param_write("nl", "1024");
	param_write("short_bytes", "1000000");
	param_write("idle_restart", "1");
	param_write("restart_backoff", "0");
}
