// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of tcp_tdctcp.c (and, through base_tests.h, of
 * tcp_dctcp_base.h as tdctcp uses it), compiled from the module's own
 * source against the stand-ins in include/.
 *
 * Expected windows are worked by hand from Figure 3-2 with the defaults
 * (alpha_factor 1/8, beta 1/8, addstep 1, decre 1/4, theta 2 so that
 * (5) and (7) cut alpha/4, T_low 5 ms, T_high 50 ms).
 */
#include "../../tcp_tdctcp.c"

#define MODULE_OPS tdctcp
/* nothing pending: DCTCP's cut, case (8): 64 * (1 - 1/2 / 2) */
#define EXPECTED_ECE_WINDOW 48
#include "base_tests.h"

/* The last tdctcp_decision trace event */
static struct {
	unsigned int count;
	u32 rtt_us, min_rtt_us, alpha_1024, cwnd_before, cwnd_after;
	s32 gradient_1024;
	u8 tcase;
} ev;

void test_trace_tdctcp_decision(const struct sock *s, u32 rtt_us,
				u32 min_rtt_us, s32 gradient_1024,
				u32 alpha_1024, u8 tcase, u32 cwnd_before,
				u32 cwnd_after)
{
	ev.count++;
	ev.rtt_us = rtt_us;
	ev.min_rtt_us = min_rtt_us;
	ev.gradient_1024 = gradient_1024;
	ev.alpha_1024 = alpha_1024;
	ev.tcase = tcase;
	ev.cwnd_before = cwnd_before;
	ev.cwnd_after = cwnd_after;
}

static struct tdctcp_params defaults(void)
{
	struct tdctcp_params p;

	tdctcp_read_params(&p);
	return p;
}

static struct tdctcp fresh(void)
{
	struct tdctcp ca;

	memset(&ca, 0, sizeof(ca));
	return ca;
}

/*
 * An RTT sample as pkts_acked passes it: the kernel's windowed minimum,
 * never expiring here, already holds it; @inflight segments were
 * delivered while the sampled one was out
 */
static void sample_in(struct tdctcp *ca, s32 rtt_us, u32 inflight)
{
	u32 kernel_min = ca->min_rtt_us ? ca->min_rtt_us : ~0U;

	if (rtt_us >= 0)
		kernel_min = min(kernel_min, (u32)rtt_us);
	tdctcp_rtt_sample(ca, rtt_us, kernel_min, inflight);
}

/* One decision on @ca for a window whose RTT sample is @rtt_us, cwnd in flight */
static enum tdctcp_case decide(struct tdctcp *ca, s32 rtt_us, u32 alpha,
			       u32 cwnd, u32 *target)
{
	struct tdctcp_params p = defaults();

	sample_in(ca, rtt_us, cwnd);
	return tdctcp_decide(ca, alpha, cwnd, ~0U, &p, target);
}

/* Feed a sequence of RTTs at alpha 0, return the last case */
static enum tdctcp_case after_rtts(struct tdctcp *ca, const s32 *rtts,
				   unsigned int n, u32 alpha, u32 cwnd,
				   u32 *target)
{
	enum tdctcp_case c = TDCTCP_NONE;
	unsigned int i;

	for (i = 0; i < n; i++)
		c = decide(ca, rtts[i], i + 1 < n ? 0 : alpha, cwnd, target);
	return c;
}

TEST(tdctcp_defaults_are_the_thesis)
{
	struct tdctcp_params p = defaults();

	EXPECT_EQ(tdctcp_g_1024, 64);
	EXPECT_EQ(p.alpha_factor_1024, 128);
	EXPECT_EQ(p.beta_1024, 128);
	EXPECT_EQ(p.addstep, 1);
	EXPECT_EQ(p.decre_1024, 256);
	EXPECT_EQ(p.theta_1024, 2048);
	EXPECT_EQ(p.t_low_us, 5000);
	EXPECT_EQ(p.t_high_us, 50000);
	EXPECT_EQ(p.direct_decrease, 0);
	EXPECT_EQ(p.auto_thresholds, 0);
	EXPECT_EQ(p.auto_low_pkts, 2);
	EXPECT_EQ(p.auto_high_pkts, 10);
}

/* (1) alpha < 1/8, new_rtt < T_low: cwnd + 1 */
TEST(tdctcp_case1_clear)
{
	struct tdctcp ca = fresh();
	u32 w;

	EXPECT_EQ(decide(&ca, 1000, 0, 10, &w), TDCTCP_CLEAR);
	EXPECT_EQ(w, 11);
	ca = fresh();
	EXPECT_EQ(decide(&ca, 4999, 127, 100, &w), TDCTCP_CLEAR);
	EXPECT_EQ(w, 101);
}

/* (2) new_rtt > T_high: cwnd * (1 - 1/4 * (1 - T_high/rtt) - alpha/2) */
TEST(tdctcp_case2_slow)
{
	struct tdctcp ca = fresh();
	u32 w;

	/* 80 * (1 - 1/4 * (1 - 1/2) - 0) = 70 */
	EXPECT_EQ(decide(&ca, 100000, 0, 80, &w), TDCTCP_SLOW);
	EXPECT_EQ(w, 70);
	/* 64 * (1 - 1/4 * (1 - 1/4) - (1/16)/2) = 64 * 0.78125 = 50 */
	ca = fresh();
	EXPECT_EQ(decide(&ca, 200000, 64, 64, &w), TDCTCP_SLOW);
	EXPECT_EQ(w, 50);
}

/* (3) gradient <= 0: cwnd + N * 1 */
TEST(tdctcp_case3_easing)
{
	static const s32 falling[] = { 20000, 10000 };
	struct tdctcp ca = fresh();
	u32 w;

	/* first sample: gradient 0 */
	EXPECT_EQ(decide(&ca, 10000, 0, 20, &w), TDCTCP_EASING);
	EXPECT_EQ(w, 21);
	ca = fresh();
	EXPECT_EQ(after_rtts(&ca, falling, 2, 0, 64, &w), TDCTCP_EASING);
	EXPECT_EQ(w, 65);
}

/* (4) gradient > 0: min(cwnd * (1 - 1/4 * gradient), cwnd - 1) */
TEST(tdctcp_case4_rising)
{
	static const s32 up_big[] = { 10000, 20000 };
	static const s32 up_small[] = { 10000, 10100 };
	struct tdctcp ca = fresh();
	u32 w;

	/* rtt_diff = 1/8 * 10000 = 1250 us, gradient = 1250/10000 = 1/8:
	 * 64 * (1 - 1/4 * 1/8) = 62
	 */
	EXPECT_EQ(after_rtts(&ca, up_big, 2, 0, 64, &w), TDCTCP_RISING);
	EXPECT_EQ(ca.gradient_1024, 128);
	EXPECT_EQ(w, 62);
	/* rtt_diff = 12.5 us, gradient = 0.00125: 63.98, so cwnd - 1 = 63 */
	ca = fresh();
	EXPECT_EQ(after_rtts(&ca, up_small, 2, 0, 64, &w), TDCTCP_RISING);
	EXPECT_EQ(w, 63);
}

/* (5) alpha >= 1/8, new_rtt < T_low: cwnd * (1 - alpha/4) */
TEST(tdctcp_case5_burst)
{
	struct tdctcp ca = fresh();
	u32 w;

	EXPECT_EQ(decide(&ca, 1000, 512, 64, &w), TDCTCP_BURST);
	EXPECT_EQ(w, 56);		/* 64 * (1 - 1/8) */
	ca = fresh();
	EXPECT_EQ(decide(&ca, 10, 1024, 100, &w), TDCTCP_BURST);
	EXPECT_EQ(w, 75);		/* 100 * (1 - 1/4) */
}

/* (6) alpha >= 1/8, new_rtt > T_high: cwnd / 2 */
TEST(tdctcp_case6_severe)
{
	struct tdctcp ca = fresh();
	u32 w;

	EXPECT_EQ(decide(&ca, 60000, 512, 64, &w), TDCTCP_SEVERE);
	EXPECT_EQ(w, 32);
	ca = fresh();
	EXPECT_EQ(decide(&ca, 2000000, 128, 7, &w), TDCTCP_SEVERE);
	EXPECT_EQ(w, 3);
}

/* (7) alpha >= 1/8, gradient <= 0: cwnd * (1 - alpha/4) */
TEST(tdctcp_case7_recovering)
{
	static const s32 falling[] = { 30000, 10000 };
	struct tdctcp ca = fresh();
	u32 w;

	EXPECT_EQ(decide(&ca, 10000, 256, 64, &w), TDCTCP_RECOVERING);
	EXPECT_EQ(w, 60);		/* 64 * (1 - 1/16) */
	ca = fresh();
	EXPECT_EQ(after_rtts(&ca, falling, 2, 512, 80, &w), TDCTCP_RECOVERING);
	EXPECT_EQ(w, 70);		/* 80 * (1 - 1/8) */
}

/* (8) alpha >= 1/8, gradient > 0: cwnd * (1 - alpha/2) */
TEST(tdctcp_case8_congested)
{
	static const s32 up[] = { 10000, 12000 };
	struct tdctcp ca = fresh();
	u32 w;

	EXPECT_EQ(after_rtts(&ca, up, 2, 512, 64, &w), TDCTCP_CONGESTED);
	EXPECT_EQ(w, 48);		/* 64 * (1 - 1/4) */
	ca = fresh();
	EXPECT_EQ(after_rtts(&ca, up, 2, 1024, 10, &w), TDCTCP_CONGESTED);
	EXPECT_EQ(w, 5);		/* 10 * (1 - 1/2) */
}

/* new_rtt = T_low and = T_high are neither below nor above */
TEST(tdctcp_boundaries_rtt_thresholds)
{
	struct tdctcp ca = fresh();
	u32 w;

	EXPECT_EQ(decide(&ca, 5000, 0, 10, &w), TDCTCP_EASING);
	ca = fresh();
	EXPECT_EQ(decide(&ca, 4999, 0, 10, &w), TDCTCP_CLEAR);
	ca = fresh();
	EXPECT_EQ(decide(&ca, 50000, 0, 10, &w), TDCTCP_EASING);
	ca = fresh();
	EXPECT_EQ(decide(&ca, 50001, 0, 10, &w), TDCTCP_SLOW);
	ca = fresh();
	EXPECT_EQ(decide(&ca, 50000, 128, 10, &w), TDCTCP_RECOVERING);
	ca = fresh();
	EXPECT_EQ(decide(&ca, 50001, 128, 10, &w), TDCTCP_SEVERE);
}

/* alpha = alpha_factor is heavy; one below is light */
TEST(tdctcp_boundary_alpha_factor)
{
	struct tdctcp ca = fresh();
	u32 w;

	EXPECT_EQ(decide(&ca, 1000, 128, 64, &w), TDCTCP_BURST);
	EXPECT_EQ(w, 62);		/* 64 * (1 - (1/8)/4) */
	ca = fresh();
	EXPECT_EQ(decide(&ca, 1000, 127, 64, &w), TDCTCP_CLEAR);
}

/*
 * gradient = 0 (steady RTT) is case (3); the smoothed change reads as a
 * rise from 1 us: with beta 1/8 a rise of 8 us in one window is (4), one
 * of 7 us is not
 */
TEST(tdctcp_boundary_gradient_zero)
{
	static const s32 steady[] = { 10000, 10000, 10000 };
	static const s32 rise7[] = { 10000, 10007 };
	static const s32 rise8[] = { 10000, 10008 };
	struct tdctcp ca = fresh();
	u32 w;

	EXPECT_EQ(after_rtts(&ca, steady, 3, 0, 64, &w), TDCTCP_EASING);
	EXPECT_EQ(ca.gradient_1024, 0);
	EXPECT_EQ(ca.rtt_diff_1024, 0);
	ca = fresh();
	EXPECT_EQ(after_rtts(&ca, rise7, 2, 0, 64, &w), TDCTCP_EASING);
	EXPECT_EQ(ca.rtt_diff_1024, 896);	/* 7/8 us, in 1/1024 us */
	EXPECT_EQ(w, 65);
	ca = fresh();
	EXPECT_EQ(after_rtts(&ca, rise8, 2, 0, 64, &w), TDCTCP_RISING);
	EXPECT_EQ(ca.rtt_diff_1024, 1024);	/* 1 us */
	EXPECT_EQ(ca.gradient_1024, 0);		/* 1 us / 10 ms rounds to 0 ... */
	EXPECT_EQ(w, 63);			/* ... so cwnd - 1 rules */
}

/*
 * After a rise the RTT stays flat: the smoothed change decays and the
 * window grows again.  A 1 us rise never reads as rising; after a
 * 100 us rise (12.5 us smoothed) the decay, 7/8 per window rounded
 * toward zero, takes 19 flat windows to fall below 1 us:
 *   12800 11200 9800 8575 7504 6566 5746 5028 4400 3850 3369 2948 2580
 *   2258 1976 1729 1513 1324 1159 1015  (1/1024 us)
 */
TEST(tdctcp_flat_rtt_after_rise_grows_again)
{
	struct tdctcp ca = fresh();
	unsigned int i;
	u32 w;

	decide(&ca, 10000, 0, 64, &w);
	EXPECT_EQ(decide(&ca, 10001, 0, 64, &w), TDCTCP_EASING);
	for (i = 0; i < 1000; i++)
		EXPECT_EQ(decide(&ca, 10001, 0, 64, &w), TDCTCP_EASING);
	EXPECT_EQ(w, 64 + 5);

	ca = fresh();
	decide(&ca, 10000, 0, 64, &w);
	EXPECT_EQ(decide(&ca, 10100, 0, 64, &w), TDCTCP_RISING);
	EXPECT_EQ(ca.rtt_diff_1024, 12800);
	for (i = 1; i <= 18; i++)
		EXPECT_EQ(decide(&ca, 10100, 0, 64, &w), TDCTCP_RISING);
	EXPECT_EQ(ca.rtt_diff_1024, 1159);
	EXPECT_EQ(decide(&ca, 10100, 0, 64, &w), TDCTCP_EASING);
	EXPECT_EQ(ca.rtt_diff_1024, 1015);
	EXPECT_EQ(w, 65);
	for (i = 0; i < 1000; i++)
		EXPECT_EQ(decide(&ca, 10100, 0, 64, &w), TDCTCP_EASING);
	EXPECT_EQ(w, 64 + 5);
}

/* A falling RTT gives a negative gradient; the EWMA remembers it */
TEST(tdctcp_falling_rtt_negative_gradient)
{
	static const s32 rtts[] = { 20000, 10000, 10000 };
	struct tdctcp ca = fresh();
	u32 w;

	after_rtts(&ca, rtts, 2, 0, 64, &w);
	/* rtt_diff = 1/8 * -10000 = -1250 us; / minRTT 10000 = -1/8 */
	EXPECT_EQ(ca.rtt_diff_1024, -1250 * 1024);
	EXPECT_EQ(ca.gradient_1024, -128);
	decide(&ca, 10000, 0, 64, &w);
	/* rtt_diff = 7/8 * -1250 = -1093.75 us; gradient = -0.109 */
	EXPECT_EQ(ca.rtt_diff_1024, -1120000);
	EXPECT_EQ(ca.gradient_1024, -112);
}

/* The first sample has no predecessor: difference 0, and it becomes prev */
TEST(tdctcp_first_sample)
{
	struct tdctcp ca = fresh();
	u32 w;

	EXPECT_EQ(decide(&ca, 40000, 0, 64, &w), TDCTCP_EASING);
	EXPECT_EQ(ca.rtt_diff_1024, 0);
	EXPECT_EQ(ca.prev_rtt_us, 40000);
	EXPECT_EQ(ca.min_rtt_us, 40000);
	EXPECT_TRUE(ca.decided);
}

/* rtt_us < 0 means "no sample": ignored entirely */
TEST(tdctcp_negative_rtt_ignored)
{
	struct tdctcp ca = fresh();

	sample_in(&ca, -1, 10);
	EXPECT_EQ(ca.sampled, 0);
	EXPECT_EQ(ca.min_rtt_us, 0);
	sample_in(&ca, 300, 10);
	sample_in(&ca, -1, 10);
	EXPECT_EQ(ca.new_rtt_us, 300);
	sample_in(&ca, 200, 10);
	sample_in(&ca, 900, 10);
	EXPECT_EQ(ca.new_rtt_us, 900);		/* the latest */
	EXPECT_EQ(ca.min_rtt_us, 200);		/* the smallest */
	sample_in(&ca, 0, 10);
	EXPECT_EQ(ca.min_rtt_us, 1);		/* never zero: a divisor */
}

/* N = 5 after five case (3) windows in a row; any other case resets */
TEST(tdctcp_n5_rule_and_reset)
{
	struct tdctcp ca = fresh();
	unsigned int i;
	u32 w;

	for (i = 0; i < 5; i++) {
		EXPECT_EQ(decide(&ca, 10000, 0, 100, &w), TDCTCP_EASING);
		EXPECT_EQ(w, 101);
	}
	EXPECT_EQ(decide(&ca, 10000, 0, 100, &w), TDCTCP_EASING);
	EXPECT_EQ(w, 105);
	EXPECT_EQ(decide(&ca, 10000, 0, 100, &w), TDCTCP_EASING);
	EXPECT_EQ(w, 105);
	/* heavy marking, steady RTT: case (7) breaks the run */
	EXPECT_EQ(decide(&ca, 10000, 512, 100, &w), TDCTCP_RECOVERING);
	EXPECT_EQ(decide(&ca, 10000, 0, 100, &w), TDCTCP_EASING);
	EXPECT_EQ(w, 101);
	/* so does case (1) */
	for (i = 0; i < 6; i++)
		decide(&ca, 10000, 0, 100, &w);
	EXPECT_EQ(w, 105);
	EXPECT_EQ(decide(&ca, 1000, 0, 100, &w), TDCTCP_CLEAR);
	EXPECT_EQ(w, 101);
}

/* Results stay within [2, snd_cwnd_clamp] */
TEST(tdctcp_floor_and_clamp)
{
	struct tdctcp_params p = defaults();
	struct tdctcp ca = fresh();
	u32 w;

	sample_in(&ca, 1000, 10);
	EXPECT_EQ(tdctcp_decide(&ca, 0, 50, 50, &p, &w), TDCTCP_CLEAR);
	EXPECT_EQ(w, 50);			/* clamp */
	ca = fresh();
	sample_in(&ca, 60000, 10);
	EXPECT_EQ(tdctcp_decide(&ca, 1024, 3, ~0U, &p, &w), TDCTCP_SEVERE);
	EXPECT_EQ(w, 2);			/* 3 / 2 = 1, floored */
	ca = fresh();
	ca.gradient_1024 = S32_MAX;
	EXPECT_EQ(tdctcp_window(&ca, TDCTCP_RISING, 1000, 0, 10000, 1, ~0U,
				&p), 2);
	EXPECT_EQ(tdctcp_window(&ca, TDCTCP_RISING, 2, 0, 10000, 1, ~0U,
				&p), 2);
	/* 1000 * (1 - 1/4 * (1 - 50000/(2^31-1)) - 1/2) = 250.006 */
	EXPECT_EQ(tdctcp_window(&ca, TDCTCP_SLOW, 1000, 1024, 0x7fffffff, 1,
				~0U, &p), 250);
	p.decre_1024 = 1024;	/* a cut of more than the window */
	EXPECT_EQ(tdctcp_window(&ca, TDCTCP_SLOW, 1000, 1024, 0x7fffffff, 1,
				~0U, &p), 2);
	EXPECT_EQ(tdctcp_window(&ca, TDCTCP_CLEAR, 0xffffffff, 0, 1, 1, ~0U,
				&p), 0xffffffff);
}

/* Thesis theta = 1/2 is expressible: (5) then cuts the whole alpha */
TEST(tdctcp_theta_literal_reading)
{
	struct tdctcp ca = fresh();
	u32 w;

	EXPECT_EQ(param_write("theta", "512"), 0);
	EXPECT_EQ(decide(&ca, 1000, 512, 64, &w), TDCTCP_BURST);
	EXPECT_EQ(w, 32);		/* 64 * (1 - 1/2) */
	EXPECT_EQ(param_write("theta", "1024"), 0);
	ca = fresh();
	decide(&ca, 1000, 512, 64, &w);
	EXPECT_EQ(w, 48);		/* 64 * (1 - 1/4), DCTCP's */
	EXPECT_EQ(param_write("theta", "2048"), 0);
}

/* A new parameter value takes effect at the next decision */
TEST(tdctcp_params_take_effect)
{
	struct tdctcp ca = fresh();
	u32 w;

	EXPECT_EQ(param_write("t_low_us", "20000"), 0);
	EXPECT_EQ(decide(&ca, 10000, 0, 10, &w), TDCTCP_CLEAR);
	EXPECT_EQ(param_write("addstep", "3"), 0);
	decide(&ca, 10000, 0, 10, &w);
	EXPECT_EQ(w, 13);
	EXPECT_EQ(param_write("alpha_factor", "0"), 0);	/* always heavy */
	EXPECT_EQ(decide(&ca, 10000, 0, 10, &w), TDCTCP_BURST);
	param_write("t_low_us", "5000");
	param_write("addstep", "1");
	param_write("alpha_factor", "128");
}

static struct tdctcp *ca_of(struct sock *s)
{
	return inet_csk_ca(s);
}

/*
 * Through the socket hooks: one decision per window with an RTT sample,
 * whose segment saw the window's @n delivered while it was out
 */
static void ack_window(u32 n, u32 ce, s32 rtt_us)
{
	kstub_pkts_acked(sk, n, rtt_us, n);
	window(n, ce);
}

TEST(tdctcp_increase_applies_at_once_in_avoidance)
{
	setup();
	tp->snd_cwnd = 20;
	tp->snd_ssthresh = 10;
	tp->is_cwnd_limited = 1;
	ev.count = 0;
	ack_window(10, 0, 1000);	/* alpha 1 -> 0.94: heavy, (5) */
	EXPECT_EQ(ev.count, 1);
	EXPECT_EQ(ev.tcase, TDCTCP_BURST);
	EXPECT_EQ(tp->snd_cwnd, 20);	/* decrease deferred */
	dctcp_base(sk)->alpha_1024 = 0;
	ack_window(10, 0, 1000);	/* (1): + 1 now */
	EXPECT_EQ(ev.tcase, TDCTCP_CLEAR);
	EXPECT_EQ(ev.cwnd_before, 20);
	EXPECT_EQ(ev.cwnd_after, 21);
	EXPECT_EQ(ev.rtt_us, 1000);
	EXPECT_EQ(ev.min_rtt_us, 1000);
	EXPECT_EQ(tp->snd_cwnd, 21);
	/* Reno's per-ACK increase does not add to it */
	MODULE_OPS.cong_avoid(sk, 0, 100);
	EXPECT_EQ(tp->snd_cwnd, 21);
	/* a window without an RTT sample decides nothing */
	window(10, 0);
	EXPECT_EQ(ev.count, 2);
	/* no increase when not cwnd-limited, nor in recovery */
	tp->is_cwnd_limited = 0;
	ack_window(10, 0, 1000);
	EXPECT_EQ(tp->snd_cwnd, 21);
	tp->is_cwnd_limited = 1;
	tp->icsk.icsk_ca_state = TCP_CA_Recovery;
	ack_window(10, 0, 1000);
	EXPECT_EQ(tp->snd_cwnd, 21);
	EXPECT_EQ(ev.count, 4);
}

TEST(tdctcp_slow_start_is_the_kernels)
{
	setup();
	tp->snd_cwnd = 10;
	tp->snd_ssthresh = 100;
	tp->is_cwnd_limited = 1;
	MODULE_OPS.cong_avoid(sk, 0, 5);
	EXPECT_EQ(tp->snd_cwnd, 15);
	dctcp_base(sk)->alpha_1024 = 0;
	ack_window(10, 0, 1000);	/* (1), but slow start owns growth */
	EXPECT_EQ(tp->snd_cwnd, 15);
	/* before the first decision, avoidance is Reno's */
	setup();
	tp->snd_cwnd = 10;
	tp->snd_ssthresh = 5;
	tp->is_cwnd_limited = 1;
	MODULE_OPS.cong_avoid(sk, 0, 10);
	EXPECT_EQ(tp->snd_cwnd, 11);
}

TEST(tdctcp_decrease_waits_for_congestion_event)
{
	setup();
	tp->snd_cwnd = 80;
	tp->snd_ssthresh = 10;
	dctcp_base(sk)->alpha_1024 = 0;
	ack_window(10, 0, 100000);		/* (2): 80 -> 70, deferred */
	EXPECT_EQ(ev.tcase, TDCTCP_SLOW);
	EXPECT_EQ(ev.cwnd_after, 70);
	EXPECT_EQ(tp->snd_cwnd, 80);
	/* at the ECE the window has grown to 160: 160 * 7/8 = 140 */
	tp->snd_cwnd = 160;
	EXPECT_EQ(MODULE_OPS.ssthresh(sk), 140);
	/* consumed: the next event is DCTCP's cut, 160 * (1 - 0/2) */
	EXPECT_EQ(MODULE_OPS.ssthresh(sk), 160);
	dctcp_base(sk)->alpha_1024 = 512;
	EXPECT_EQ(MODULE_OPS.ssthresh(sk), 120);
}

/*
 * auto_thresholds: a window of cwnd segments over new_rtt has
 * cwnd * (new_rtt - minRTT) / new_rtt own segments queued; clear below
 * auto_low_pkts (2), congested above auto_high_pkts (10).
 */
TEST(tdctcp_auto_thresholds_follow_own_queue)
{
	struct tdctcp ca = fresh();
	u32 w;

	EXPECT_EQ(param_write("auto_thresholds", "1"), 0);
	/* minRTT 1 ms; 100 segments at 1.01 ms: ~1 queued: (1) */
	EXPECT_EQ(decide(&ca, 1000, 0, 100, &w), TDCTCP_CLEAR);
	EXPECT_EQ(decide(&ca, 1010, 0, 100, &w), TDCTCP_CLEAR);
	EXPECT_EQ(w, 101);
	/* 1.05 ms: ~4.8 queued, between the thresholds, RTT rising: (4) */
	EXPECT_EQ(decide(&ca, 1050, 0, 100, &w), TDCTCP_RISING);
	/*
	 * 2 ms: 50 queued: (2), T_high = 1000 + 10 * 2000 / 100 = 1200 us,
	 * 100 * (1 - 1/4 * (1 - 1200/2000)) = 90
	 */
	EXPECT_EQ(decide(&ca, 2000, 0, 100, &w), TDCTCP_SLOW);
	EXPECT_EQ(w, 90);
	/* a window of 10 cannot queue more than 10: never (2) */
	EXPECT_EQ(decide(&ca, 100000, 0, 10, &w), TDCTCP_RISING);
	/* heavy alpha keeps the right-hand column: (6) at 50 queued */
	EXPECT_EQ(decide(&ca, 2000, 512, 100, &w), TDCTCP_SEVERE);
	/* the fixed thresholds are ignored: 30 ms is far below T_low */
	ca = fresh();
	decide(&ca, 1000, 0, 100, &w);
	EXPECT_EQ(decide(&ca, 3000, 0, 100, &w), TDCTCP_SLOW);
	param_write("auto_thresholds", "0");
	ca = fresh();
	decide(&ca, 1000, 0, 100, &w);
	EXPECT_EQ(decide(&ca, 3000, 0, 100, &w), TDCTCP_CLEAR);
}

/* The same queue in segments is the same case at any base RTT */
TEST(tdctcp_auto_thresholds_scale_with_base_rtt)
{
	static const s32 base_us[] = { 50, 1000, 100000, 10000000 };
	unsigned int i;
	u32 w;

	EXPECT_EQ(param_write("auto_thresholds", "1"), 0);
	for (i = 0; i < ARRAY_SIZE(base_us); i++) {
		struct tdctcp ca = fresh();
		s32 b = base_us[i];

		decide(&ca, b, 0, 100, &w);
		/* 1 % above base: 1 queued */
		EXPECT_EQ(decide(&ca, b + b / 100, 0, 100, &w), TDCTCP_CLEAR);
		/* twice the base: 50 queued, cut to 90 as above */
		EXPECT_EQ(decide(&ca, 2 * b, 0, 100, &w), TDCTCP_SLOW);
		EXPECT_EQ(w, 90);
	}
	EXPECT_EQ(param_write("auto_high_pkts", "100"), 0);
	EXPECT_EQ(param_write("auto_low_pkts", "60"), 0);
	{
		struct tdctcp ca = fresh();

		decide(&ca, 1000, 0, 100, &w);
		/* 50 queued is now below the low threshold (60) */
		EXPECT_EQ(decide(&ca, 2000, 0, 100, &w), TDCTCP_CLEAR);
	}
	EXPECT_EQ(param_write("auto_low_pkts", "2"), 0);
	EXPECT_EQ(param_write("auto_high_pkts", "10"), 0);
	param_write("auto_thresholds", "0");
}

/* The deferred cut of (2) uses the T_high its decision computed */
TEST(tdctcp_auto_thresholds_deferred_cut)
{
	setup();
	EXPECT_EQ(param_write("auto_thresholds", "1"), 0);
	tp->snd_cwnd = 100;
	tp->snd_ssthresh = 10;
	dctcp_base(sk)->alpha_1024 = 0;
	ack_window(100, 0, 1000);		/* minRTT 1 ms: (1) */
	dctcp_base(sk)->alpha_1024 = 0;
	ack_window(100, 0, 2000);		/* (2): 100 -> 90, deferred */
	EXPECT_EQ(ev.tcase, TDCTCP_SLOW);
	EXPECT_EQ(ev.cwnd_after, 90);
	/*
	 * At the ECE the window is 200: the decision's T_high, 1200 us,
	 * gives 200 * 0.9 = 180; the fixed T_high (50 ms) would cut nothing.
	 */
	tp->snd_cwnd = 200;
	EXPECT_EQ(MODULE_OPS.ssthresh(sk), 180);
	param_write("auto_thresholds", "0");
}

/* Out-of-range writes are refused and the old value kept */
TEST(tdctcp_auto_threshold_params_validated)
{
	EXPECT_EQ(param_write("auto_thresholds", "2"), -EINVAL);
	EXPECT_EQ(param_write("auto_low_pkts", "10001"), -EINVAL);
	EXPECT_EQ(param_write("auto_high_pkts", "-1"), -EINVAL);
	EXPECT_EQ(param_write("auto_high_pkts", ""), -EINVAL);
	EXPECT_EQ(tdctcp_auto_thresholds, 0);
	EXPECT_EQ(tdctcp_auto_low_pkts, 2);
	EXPECT_EQ(tdctcp_auto_high_pkts, 10);
}

/*
 * Threshold pairs never cross: T_low <= T_high, auto_low_pkts <=
 * auto_high_pkts.  A write that would cross is refused; equal is allowed;
 * moving both past each other works in the order that keeps them apart.
 */
TEST(tdctcp_threshold_pairs_never_cross)
{
	EXPECT_EQ(param_write("t_low_us", "50001"), -EINVAL);
	EXPECT_EQ(param_write("t_high_us", "4999"), -EINVAL);
	EXPECT_EQ(tdctcp_t_low_us, 5000);
	EXPECT_EQ(tdctcp_t_high_us, 50000);
	EXPECT_EQ(param_write("t_low_us", "50000"), 0);
	EXPECT_EQ(param_write("t_high_us", "50000"), 0);
	/* both up past the old T_high: T_high first */
	EXPECT_EQ(param_write("t_low_us", "60000"), -EINVAL);
	EXPECT_EQ(param_write("t_high_us", "100000"), 0);
	EXPECT_EQ(param_write("t_low_us", "60000"), 0);
	/* and back down: T_low first */
	EXPECT_EQ(param_write("t_high_us", "50000"), -EINVAL);
	EXPECT_EQ(param_write("t_low_us", "5000"), 0);
	EXPECT_EQ(param_write("t_high_us", "50000"), 0);

	EXPECT_EQ(param_write("auto_low_pkts", "11"), -EINVAL);
	EXPECT_EQ(param_write("auto_high_pkts", "1"), -EINVAL);
	EXPECT_EQ(tdctcp_auto_low_pkts, 2);
	EXPECT_EQ(tdctcp_auto_high_pkts, 10);
	EXPECT_EQ(param_write("auto_high_pkts", "2"), 0);
	EXPECT_EQ(param_write("auto_high_pkts", "10"), 0);
}

/*
 * direct_decrease: a cut applied at once supersedes the one pending.
 * Case (6) is deferred (ECN-driven); the next window's (2) applies
 * 100 -> 96 at once; the ECE after it, with alpha 0, cuts nothing more
 * (case (8) at alpha 0), instead of halving for the stale (6).
 */
TEST(tdctcp_direct_decrease_clears_pending)
{
	EXPECT_EQ(param_write("direct_decrease", "1"), 0);
	setup();
	tp->snd_cwnd = 100;
	tp->snd_ssthresh = 10;
	tp->is_cwnd_limited = 1;
	ack_window(10, 10, 60000);		/* alpha stays 1: (6) */
	EXPECT_EQ(ev.tcase, TDCTCP_SEVERE);
	EXPECT_EQ(tp->snd_cwnd, 100);		/* deferred */
	dctcp_base(sk)->alpha_1024 = 0;
	ack_window(10, 0, 60000);		/* (2), applied now */
	EXPECT_EQ(ev.tcase, TDCTCP_SLOW);
	EXPECT_EQ(tp->snd_cwnd, 96);
	kstub_enter_cwr(sk);
	EXPECT_EQ(tp->snd_ssthresh, 96);
	EXPECT_EQ(param_write("direct_decrease", "0"), 0);
}

/* Fast retransmit consumes the pending decrease: the loss halving rules */
TEST(tdctcp_loss_consumes_pending_case)
{
	setup();
	tp->snd_cwnd = 100;
	tp->snd_ssthresh = 10;
	dctcp_base(sk)->alpha_1024 = 0;
	ack_window(10, 0, 100000);		/* (2) pending: 100 -> 88 */
	EXPECT_EQ(ev.tcase, TDCTCP_SLOW);
	EXPECT_EQ(ca_of(sk)->pending_case, TDCTCP_SLOW);
	kstub_enter_recovery(sk);
	EXPECT_EQ(tp->snd_ssthresh, 50);
	EXPECT_EQ(ca_of(sk)->pending_case, TDCTCP_NONE);
	kstub_set_ca_state(sk, TCP_CA_Open);
	tp->snd_cwnd = 100;
	kstub_enter_cwr(sk);			/* nothing pending: (8), alpha 0 */
	EXPECT_EQ(tp->snd_ssthresh, 100);
}

TEST(tdctcp_direct_decrease_option)
{
	static const s32 up[] = { 10000, 20000 };
	unsigned int i;

	EXPECT_EQ(param_write("direct_decrease", "1"), 0);
	setup();
	tp->snd_cwnd = 80;
	tp->snd_ssthresh = 10;
	dctcp_base(sk)->alpha_1024 = 0;
	ack_window(10, 0, 100000);		/* (2) at once */
	EXPECT_EQ(tp->snd_cwnd, 70);
	EXPECT_EQ(tp->snd_ssthresh, 70);
	setup();
	tp->snd_cwnd = 64;
	tp->snd_ssthresh = 10;
	dctcp_base(sk)->alpha_1024 = 0;
	for (i = 0; i < 2; i++)
		ack_window(10, 0, up[i]);	/* (4) at once */
	EXPECT_EQ(ev.tcase, TDCTCP_RISING);
	EXPECT_EQ(tp->snd_cwnd, 62);
	/* ECN-driven cuts still wait */
	dctcp_base(sk)->alpha_1024 = 1024;
	ack_window(10, 10, 1000);
	EXPECT_EQ(ev.tcase, TDCTCP_BURST);
	EXPECT_EQ(tp->snd_cwnd, 62);
	EXPECT_EQ(param_write("direct_decrease", "0"), 0);
}

/*
 * Outside the Open state a direct cut waits as any decrease does: in
 * recovery the loss response owns cwnd and ssthresh
 */
TEST(tdctcp_direct_decrease_only_when_open)
{
	EXPECT_EQ(param_write("direct_decrease", "1"), 0);
	setup();
	tp->snd_cwnd = 80;
	tp->snd_ssthresh = 10;
	tp->icsk.icsk_ca_state = TCP_CA_Recovery;
	dctcp_base(sk)->alpha_1024 = 0;
	ack_window(10, 0, 100000);		/* (2), in recovery */
	EXPECT_EQ(ev.tcase, TDCTCP_SLOW);
	EXPECT_EQ(tp->snd_cwnd, 80);
	EXPECT_EQ(tp->snd_ssthresh, 10);
	EXPECT_EQ(ca_of(sk)->pending_case, TDCTCP_SLOW);
	EXPECT_EQ(param_write("direct_decrease", "0"), 0);
}

/*
 * The deferred cut of (2) uses the RTT its decision saw (prev_rtt_us), not
 * a sample taken since: 100 ms then, 60 ms at the ECE.
 *   decision's:  100 * (1 - 1/4 * (1 - 50/100))  = 87.5 -> 88 of 100
 *   a later one: 100 * (1 - 1/4 * (1 - 50/60))   = 95.8
 */
TEST(tdctcp_deferred_cut_uses_the_decisions_rtt)
{
	setup();
	tp->snd_cwnd = 100;
	tp->snd_ssthresh = 10;
	dctcp_base(sk)->alpha_1024 = 0;
	ack_window(10, 0, 100000);		/* (2), deferred */
	EXPECT_EQ(ev.tcase, TDCTCP_SLOW);
	kstub_pkts_acked(sk, 1, 60000, 10);	/* mid-window: no decision */
	EXPECT_EQ(ca_of(sk)->new_rtt_us, 60000);
	EXPECT_EQ(MODULE_OPS.ssthresh(sk), 88);
}

/*
 * A restart cut (restart_backoff) answers for the decrease pending: the
 * next ECE cuts as DCTCP from the restarted window, not (6)'s half again.
 * alpha 1/4 (heavy), RTT above T_high: (6) pending; restart by alpha/2:
 * 100 -> 88; the ECE: (8), 88 * (1 - 1/8) = 77 (with (6) still pending: 44)
 */
TEST(tdctcp_restart_cut_clears_the_pending_decrease)
{
	EXPECT_EQ(param_write("restart_backoff", "1"), 0);
	setup();
	tp->snd_cwnd = 100;
	tp->snd_ssthresh = 10;
	ack_window(10, 0, 60000);
	dctcp_base(sk)->alpha_1024 = 256;
	ack_window(10, 0, 60000);
	EXPECT_EQ(ev.tcase, TDCTCP_SEVERE);
	EXPECT_EQ(ca_of(sk)->pending_case, TDCTCP_SEVERE);
	dctcp_base(sk)->alpha_1024 = 256;
	EXPECT_TRUE(kstub_tx_start(sk));
	EXPECT_EQ(tp->snd_cwnd, 88);
	EXPECT_EQ(ca_of(sk)->pending_case, TDCTCP_NONE);
	kstub_enter_cwr(sk);
	EXPECT_EQ(tp->snd_ssthresh, 77);
	EXPECT_EQ(param_write("restart_backoff", "0"), 0);
}

/* Not cwnd-limited (application-limited): no growth, slow start or not */
TEST(tdctcp_no_growth_unless_cwnd_limited)
{
	setup();
	tp->snd_cwnd = 10;
	tp->snd_ssthresh = 100;
	tp->is_cwnd_limited = 0;
	tp->max_packets_out = 4;		/* cwnd >= 2 * what went out */
	MODULE_OPS.cong_avoid(sk, 0, 5);
	EXPECT_EQ(tp->snd_cwnd, 10);
	tp->snd_ssthresh = 5;
	MODULE_OPS.cong_avoid(sk, 0, 50);
	EXPECT_EQ(tp->snd_cwnd, 10);
	tp->is_cwnd_limited = 1;
	MODULE_OPS.cong_avoid(sk, 0, 10);
	EXPECT_EQ(tp->snd_cwnd, 11);
}

/*
 * minRTT is the kernel's windowed minimum: after a route change to a
 * longer path the old minimum expires (net.ipv4.tcp_min_rtt_wlen) and the
 * new path's RTT is base RTT, not queueing.  Modelled here by what
 * tcp_min_rtt() returns before and after the expiry.
 */
TEST(tdctcp_auto_thresholds_follow_a_longer_path)
{
	EXPECT_EQ(param_write("auto_thresholds", "1"), 0);
	setup();
	tp->snd_cwnd = 100;
	tp->snd_ssthresh = 10;
	dctcp_base(sk)->alpha_1024 = 0;
	ack_window(100, 0, 1000);		/* 1 ms path */
	EXPECT_EQ(ev.tcase, TDCTCP_CLEAR);
	dctcp_base(sk)->alpha_1024 = 0;
	ack_window(100, 0, 5000);		/* rerouted: 5 ms, read as queue */
	EXPECT_EQ(ev.tcase, TDCTCP_SLOW);
	EXPECT_EQ(ev.min_rtt_us, 1000);
	tp->rtt_min.s[0].v = 5000;		/* the 1 ms minimum expired */
	dctcp_base(sk)->alpha_1024 = 0;
	ack_window(100, 0, 5000);
	EXPECT_EQ(ev.min_rtt_us, 5000);
	EXPECT_TRUE(ev.tcase == TDCTCP_CLEAR || ev.tcase == TDCTCP_EASING);
	param_write("auto_thresholds", "0");
}

/*
 * The thresholds follow what was in flight, not cwnd: an application-
 * limited flow with cwnd 1000 and 10 segments out, at 1.2 ms over a 1 ms
 * path, has 10 * 0.2 / 1.2 = 1.7 of its own segments queued: clear (1).
 * By cwnd it would be 167 queued: (2).
 */
TEST(tdctcp_auto_thresholds_follow_what_is_in_flight)
{
	struct tdctcp ca = fresh();
	struct tdctcp_params p;
	u32 w;

	EXPECT_EQ(param_write("auto_thresholds", "1"), 0);
	p = defaults();
	sample_in(&ca, 1000, 10);
	EXPECT_EQ(tdctcp_decide(&ca, 0, 1000, ~0U, &p, &w), TDCTCP_CLEAR);
	p = defaults();
	sample_in(&ca, 1200, 10);
	EXPECT_EQ(tdctcp_decide(&ca, 0, 1000, ~0U, &p, &w), TDCTCP_CLEAR);
	EXPECT_EQ(p.t_low_us, 1000 + 2 * 1200 / 10);
	EXPECT_EQ(p.t_high_us, 1000 + 10 * 1200 / 10);
	/* the same RTT with the whole window out: congested */
	p = defaults();
	sample_in(&ca, 1200, 1000);
	EXPECT_EQ(tdctcp_decide(&ca, 0, 1000, ~0U, &p, &w), TDCTCP_SLOW);
	/* through pkts_acked: in_flight is bytes, in segments of mss_cache */
	setup();
	kstub_pkts_acked(sk, 1, 1200, 37);
	EXPECT_EQ(ca_of(sk)->new_inflight, 37);
	kstub_pkts_acked(sk, 1, 1200, 0);
	EXPECT_EQ(ca_of(sk)->new_inflight, 1);	/* never a zero divisor */
	param_write("auto_thresholds", "0");
}

/* minRTT is the kernel's minimum, bounded by the sample, and never 0 */
TEST(tdctcp_min_rtt_is_the_kernels)
{
	struct tdctcp ca = fresh();

	tdctcp_rtt_sample(&ca, 900, 700, 10);
	EXPECT_EQ(ca.min_rtt_us, 700);
	tdctcp_rtt_sample(&ca, 500, 700, 10);	/* a sample below it */
	EXPECT_EQ(ca.min_rtt_us, 500);
	tdctcp_rtt_sample(&ca, 800, 800, 10);	/* the minimum moved up */
	EXPECT_EQ(ca.min_rtt_us, 800);
	tdctcp_rtt_sample(&ca, 0, 4000, 10);
	EXPECT_EQ(ca.min_rtt_us, 1);
	tdctcp_rtt_sample(&ca, 300, ~0U, 10);	/* none in the kernel yet */
	EXPECT_EQ(ca.min_rtt_us, 300);
}

/* What case_count shows for case @c (1-8), or -1 */
static long shown(int c)
{
	struct seq_file m = { .count = 0 };
	char want[8];
	const char *at;

	tdctcp_case_count_show(&m, NULL);
	snprintf(want, sizeof(want), "%d ", c);
	for (at = m.buf; at && *at; at = strchr(at, '\n'), at = at ? at + 1 : NULL)
		if (!strncmp(at, want, strlen(want)))
			return strtol(at + strlen(want), NULL, 10);
	return -1;
}

/* debugfs counters: one count per decision, listed by case; 0 resets */
TEST(tdctcp_case_counters_read_and_reset)
{
	long before[TDCTCP_NR_CASES];
	int i;

	for (i = 0; i < TDCTCP_NR_CASES; i++)
		before[i] = shown(i + 1);
	setup();
	tp->snd_ssthresh = 10;
	dctcp_base(sk)->alpha_1024 = 0;
	ack_window(10, 0, 1000);		/* (1) */
	ack_window(10, 0, 1000);		/* (1) */
	ack_window(10, 0, 60000);		/* (2) */
	EXPECT_EQ(shown(1) - before[0], 2);
	EXPECT_EQ(shown(2) - before[1], 1);
	for (i = 2; i < TDCTCP_NR_CASES; i++)
		EXPECT_EQ(shown(i + 1), before[i]);

	EXPECT_EQ(tdctcp_case_count_write(NULL, "5", 1, NULL), -EINVAL);
	EXPECT_EQ(tdctcp_case_count_write(NULL, "x", 1, NULL), -EINVAL);
	EXPECT_TRUE(shown(1) > 0);
	EXPECT_EQ(tdctcp_case_count_write(NULL, "0\n", 2, NULL), 2);
	for (i = 0; i < TDCTCP_NR_CASES; i++)
		EXPECT_EQ(shown(i + 1), 0);
	/* counting goes on from the reset */
	ack_window(10, 0, 60000);		/* (2) */
	EXPECT_EQ(shown(2), 1);
	EXPECT_EQ(shown(1), 0);
	EXPECT_EQ(kstub_lock_errors, 0);
}

/* The trace event carries the decision's inputs and result */
TEST(tdctcp_trace_event_fields)
{
	static const s32 up[] = { 10000, 20000 };
	unsigned int i;

	setup();
	tp->snd_cwnd = 64;
	tp->snd_ssthresh = 10;
	dctcp_base(sk)->alpha_1024 = 0;
	for (i = 0; i < 2; i++)
		ack_window(10, 0, up[i]);
	EXPECT_EQ(ev.tcase, TDCTCP_RISING);
	EXPECT_EQ(ev.rtt_us, 20000);
	EXPECT_EQ(ev.min_rtt_us, 10000);
	EXPECT_EQ(ev.gradient_1024, 128);
	EXPECT_EQ(ev.alpha_1024, 0);
	EXPECT_EQ(ev.cwnd_before, 64);
	EXPECT_EQ(ev.cwnd_after, 62);
}

/*
 * An independent model of tdctcp for the property test: alpha per window
 * (model_alpha), minRTT, the smoothed RTT change in double precision, the
 * run of case (3) windows and the decrease pending.
 */
struct tmodel {
	unsigned int alpha;
	u32 kernel_min, min_rtt, prev_rtt;	/* kernel_min: ~0U before any */
	double rtt_diff_us;
	bool decided;
	u32 msg_delivered, msg_ce, msg_retrans;	/* when the message began */
	unsigned int easing;
	enum tdctcp_case pending;
	u32 loss_cwnd;
};

/* minRTT + pkts segments at inflight per rtt, as auto_thresholds defines it */
static double model_threshold(const struct tmodel *m, u32 rtt, u32 inflight,
			      unsigned int pkts)
{
	return fmin(m->min_rtt +
		    floor((double)pkts * rtt / (inflight ? inflight : 1)),
		    (double)U32_MAX);
}

/* the window case c must give at cwnd, for the cases with one answer */
static bool model_window(enum tdctcp_case c, u32 cwnd, unsigned int alpha,
			 unsigned int steps, u32 clamp, u32 *want)
{
	double w, hi = fmax(clamp, 2);

	switch (c) {
	case TDCTCP_CLEAR:
	case TDCTCP_EASING:
		w = (double)cwnd + (double)steps * param_read("addstep");
		break;
	case TDCTCP_SEVERE:
		w = floor(cwnd / 2.0);
		break;
	case TDCTCP_CONGESTED:
		w = cwnd - floor((double)cwnd * alpha / 2048.0);
		break;
	default:
		return false;
	}
	*want = (u32)fmin(fmax(w, 2), hi);
	return true;
}

/*
 * Property: random windows (marks never more than deliveries) with RTT
 * samples from none (-1) to 2^31 - 1, windows and clamps anywhere, the
 * core's congestion responses in the order it calls the module (ECE, fast
 * recovery, timeout), undo, and parameter writes anywhere in their ranges.
 * After every event tdctcp agrees with the model above and Figure 3-2:
 *   alpha exactly;
 *   a decision exactly when the window had an RTT sample;
 *   each decision's case follows its alpha, RTT and thresholds, and the
 *   sign of the modelled RTT change where it is clear of the 1 us band;
 *   increases ((1), (3)) are cwnd + N * addstep exactly, N from the run
 *   of (3); (6) and (8) exactly; every other decrease within
 *   [2, max(min(cwnd, clamp), 2)];
 *   ssthresh at an ECE is the pending case's window on the current cwnd,
 *   (8) when nothing is pending; a loss halves and clears what was pending;
 *   undo returns the window before the last reduction; no kernel warning;
 *   a send with nothing in flight (restart_backoff in any mode) cuts
 *   exactly as the mode says, and only when it starts a message in the
 *   Open state after one that delivered something: never after a
 *   timeout's retransmission, nor in CWR or Loss.
 */
TEST(tdctcp_property_random_events)
{
	static const s32 rtts[] = { -1, 0, 1, 2, 0x7fffffff, 5000, 50000 };
	/* the kernel warns on a window past INT_MAX: none comes near it */
	static const u32 cwnds[] = { 1, 2, 3, 0x7fff0000 };
	unsigned int i, bad = 0, np = kstub_nr_params();
	unsigned int saved[32];
	struct tmodel m = { .alpha = 1024, .kernel_min = ~0U,
			    .pending = TDCTCP_NONE };
	struct dctcp_base *ca = setup();

	for (i = 0; i < np; i++)
		saved[i] = *kstub_param_value(kstub_param_at(i));
	for (i = 0; i < 300000 && !bad; i++) {
		u32 e = rnd(13), v, want;

		ev.count = 0;
		switch (e) {
		case 0: case 1: case 2: case 3: {
			s32 r = rnd(3) ? (s32)rnd(200000) : rtts[rnd(7)];
			u32 n = rnd(50), ce = rnd(4) ? 0U : rnd(n + 1);
			u32 cwnd = tp->snd_cwnd, clamp = tp->snd_cwnd_clamp;
			u32 t_low, t_high, r_us = r < 0 ? 0 : (u32)r;
			double band = 1.0 / (param_read("beta") / 1024.0) / 1024.0;
			unsigned int af = param_read("alpha_factor");
			enum tdctcp_case c;

			tp->is_cwnd_limited = (u8)rnd(2);
			m.alpha = model_alpha(m.alpha, n, ce, param_read("g"));
			ack_window(n, ce, r);
			if (r < 0) {
				bad += ev.count != 0;
				break;
			}
			bad += ev.count != 1;
			c = (enum tdctcp_case)ev.tcase;
			/* the kernel's minimum counts 0 as a jiffy */
			m.kernel_min = min(m.kernel_min, r_us ? r_us : 4000U);
			m.min_rtt = max(min(m.kernel_min, r_us), 1U);
			m.rtt_diff_us += (param_read("beta") / 1024.0) *
					 ((m.decided ? (double)r_us - m.prev_rtt : 0) -
					  m.rtt_diff_us);
			m.prev_rtt = r_us;
			m.decided = true;
			if (param_read("auto_thresholds")) {
				t_low = (u32)model_threshold(&m, r_us, n,
							     param_read("auto_low_pkts"));
				t_high = (u32)model_threshold(&m, r_us, n,
							      param_read("auto_high_pkts"));
			} else {
				t_low = param_read("t_low_us");
				t_high = param_read("t_high_us");
			}
			bad += ev.alpha_1024 != m.alpha || ev.rtt_us != r_us ||
			       ev.min_rtt_us != m.min_rtt || ev.cwnd_before != cwnd;
			bad += (c >= TDCTCP_BURST) != (m.alpha >= af);
			if (r_us < t_low)
				bad += c != TDCTCP_CLEAR && c != TDCTCP_BURST;
			else if (r_us > t_high)
				bad += c != TDCTCP_SLOW && c != TDCTCP_SEVERE;
			else if (m.rtt_diff_us >= 1.0 + band)
				bad += c != TDCTCP_RISING && c != TDCTCP_CONGESTED;
			else if (m.rtt_diff_us < 1.0 - band)
				bad += c != TDCTCP_EASING && c != TDCTCP_RECOVERING;
			if (model_window(c, cwnd, m.alpha,
					 c == TDCTCP_EASING && m.easing >= 5 ? 5 : 1,
					 clamp, &want))
				bad += ev.cwnd_after != want;
			else
				bad += ev.cwnd_after < 2 ||
				       ev.cwnd_after > max(min(cwnd, clamp), 2U);
			m.easing = c == TDCTCP_EASING ? m.easing + 1 : 0;
			if (c == TDCTCP_CLEAR || c == TDCTCP_EASING)
				m.pending = TDCTCP_NONE;
			else if (param_read("direct_decrease") &&
				 tp->icsk.icsk_ca_state == TCP_CA_Open &&
				 (c == TDCTCP_SLOW || c == TDCTCP_RISING))
				m.pending = TDCTCP_NONE;
			else
				m.pending = c;
			break;
		}
		case 4:
			tp->snd_cwnd_clamp = rnd(8) ? ~0U : 1U + rnd(1000);
			tp->snd_cwnd = rnd(3) ? 1U + rnd(10000) : cwnds[rnd(4)];
			break;
		case 5:		/* ECE */
			m.loss_cwnd = tp->snd_cwnd;
			if (m.pending == TDCTCP_NONE)
				model_window(TDCTCP_CONGESTED, tp->snd_cwnd, m.alpha,
					     1, tp->snd_cwnd_clamp, &want);
			else if (!model_window(m.pending, tp->snd_cwnd, m.alpha,
					       1, tp->snd_cwnd_clamp, &want))
				want = 0;
			v = tp->snd_cwnd;
			kstub_enter_cwr(sk);
			if (want)
				bad += tp->snd_ssthresh != want;
			else
				bad += tp->snd_ssthresh < 2 ||
				       tp->snd_ssthresh >
				       max(min(v, tp->snd_cwnd_clamp), 2U);
			m.pending = TDCTCP_NONE;
			kstub_set_ca_state(sk, TCP_CA_Open);
			break;
		case 6:		/* fast retransmit */
			m.loss_cwnd = tp->snd_cwnd;
			v = max(tp->snd_cwnd / 2, 2U);
			kstub_enter_recovery(sk);
			bad += tp->snd_ssthresh != v;
			m.pending = TDCTCP_NONE;
			kstub_set_ca_state(sk, TCP_CA_Open);
			break;
		case 7:		/* timeout with the window outstanding */
			m.loss_cwnd = tp->snd_cwnd;
			v = max(tp->snd_cwnd / 2, 2U);
			tp->packets_out = 1 + rnd(100);
			tp->snd_nxt = tp->snd_una + tp->packets_out * MSS;
			kstub_enter_loss(sk);
			bad += tp->snd_ssthresh != v || tp->snd_cwnd != 1;
			m.pending = TDCTCP_NONE;
			/* recovered: the lost window acknowledged, no sample */
			tp->delivered += tp->packets_out;
			m.alpha = model_alpha(m.alpha, tp->packets_out, 0,
					      param_read("g"));
			tp->snd_una = tp->snd_nxt;
			tp->packets_out = tp->lost_out = 0;
			MODULE_OPS.in_ack_event(sk, 0);
			kstub_set_ca_state(sk, TCP_CA_Open);
			tp->snd_cwnd = tp->snd_ssthresh;
			break;
		case 8:
			tp->snd_ssthresh = rnd(2) ? 2 + rnd(100) : 0x7fffffff;
			tp->is_cwnd_limited = (u8)rnd(2);
			MODULE_OPS.cong_avoid(sk, 0, rnd(64));
			break;
		case 9: {
			const struct kernel_param *kp = kstub_param_at(rnd(np));
			unsigned int lo = 0, hi = 0;
			char buf[16];

			kstub_param_range(kp, &lo, &hi);
			v = lo + rnd(hi - lo + 1);
			snprintf(buf, sizeof(buf), "%u", v);
			bad += kp->ops->set(buf, kp) != 0;
			break;
		}
		case 10:
			v = max(tp->snd_cwnd, m.loss_cwnd);
			tp->snd_cwnd = MODULE_OPS.undo_cwnd(sk);
			bad += tp->snd_cwnd != v;
			break;
		case 12: {	/* a send with nothing in flight */
			u32 cwnd = tp->snd_cwnd, ssthresh = tp->snd_ssthresh;
			/* a new message, or a retransmission after a timeout */
			bool starts = rnd(3), open = rnd(4), cuts;
			u32 delivered, signalled, target = 0;

			tp->total_retrans += rnd(4) ? 0 : rnd(20);
			delivered = tp->delivered - m.msg_delivered;
			signalled = tp->delivered_ce - m.msg_ce +
				    tp->total_retrans - m.msg_retrans;
			tp->packets_out = tp->lost_out = starts ? 0 : 1 + rnd(40);
			tp->icsk.icsk_ca_state = open ? TCP_CA_Open :
						 rnd(2) ? TCP_CA_CWR : TCP_CA_Loss;
			if (starts) {
				m.msg_delivered = tp->delivered;
				m.msg_ce = tp->delivered_ce;
				m.msg_retrans = tp->total_retrans;
			}
			cuts = starts && open &&
			       model_restart(param_read("restart_backoff"), m.alpha,
					     cwnd, delivered, signalled, &target);
			bad += !kstub_tx_start(sk);
			if (!cuts) {
				bad += tp->snd_cwnd != cwnd ||
				       tp->snd_ssthresh != ssthresh;
			} else {
				bad += tp->snd_cwnd != min(target, cwnd);
				bad += tp->snd_ssthresh !=
				       model_restart_ssthresh(cwnd, ssthresh, target);
				if (target < cwnd)
					m.loss_cwnd = cwnd;
				m.pending = TDCTCP_NONE;
			}
			tp->packets_out = tp->lost_out = 0;
			tp->icsk.icsk_ca_state = TCP_CA_Open;
			break;
		}
		default:	/* receiver side: a segment with or without CE */
			tp->rcv_nxt += 1000;
			MODULE_OPS.cwnd_event(sk, rnd(2) ? CA_EVENT_ECN_IS_CE :
							    CA_EVENT_ECN_NO_CE);
			break;
		}
		bad += ca->alpha_1024 != m.alpha;
		if (bad)
			test_note("event %u (kind %u) broke the model", i, e);
	}
	EXPECT_EQ(bad, 0);
	/* the pairs' order: low bounds first, so no write is refused */
	for (i = 0; i < np; i++)
		*kstub_param_value(kstub_param_at(i)) = saved[i];
}
