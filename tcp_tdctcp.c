// SPDX-License-Identifier: GPL-2.0
/*
 * T-DCTCP: DCTCP whose window follows both the ECN fraction and the RTT.
 *
 * Thesis: "T-DCTCP", Jinan University, 2018, Figure 3-2.  Once per window
 * of data, with new_rtt the window's latest RTT sample and minRTT the
 * smallest sample of the connection (here the kernel's windowed minimum,
 * tcp_min_rtt(): over net.ipv4.tcp_min_rtt_wlen, 300 s by default, so a
 * path that grew longer is learnt again):
 *
 *	new_rtt_diff = new_rtt - prev_rtt; prev_rtt = new_rtt
 *	rtt_diff     = (1 - beta) * rtt_diff + beta * new_rtt_diff
 *	gradient     = rtt_diff / minRTT			(signed)
 *	alpha        = (1 - g) * alpha + g * F			(DCTCP)
 *
 *	            | new_rtt < T_low | new_rtt > T_high    | gradient <= 0 | gradient > 0
 *	------------+-----------------+---------------------+---------------+----------------
 *	alpha <  af | (1) cwnd + s    | (2) cwnd * (1 - y * | (3) cwnd + N*s| (4) min(cwnd *
 *	            |                 | (1 - T_high/new_rtt)|               | (1 - y * grad),
 *	            |                 |  - alpha / 2)       |               |  cwnd - 1)
 *	alpha >= af | (5) cwnd *      | (6) cwnd / 2        | (7) cwnd *    | (8) cwnd *
 *	            | (1 - alpha/2th) |                     | (1 - alpha/2th)| (1 - alpha / 2)
 *
 * columns are tested left to right; af = alpha_factor, s = addstep (sigma),
 * y = decre (gamma), th = theta.  N is 5 once case (3) has held for the
 * five previous windows, otherwise 1.  Every result is at least two
 * segments and at most snd_cwnd_clamp.  The gradient counts as positive
 * only once the smoothed RTT change reaches 1 us, the resolution of the
 * samples (see TDCTCP_RISE_MIN_1024).
 *
 * Applying it (thesis 3.3): an increase ((1), (3)) takes effect at once,
 * in congestion avoidance, and replaces Reno's additive increase; slow
 * start stays the kernel's.  A decrease is remembered and becomes the
 * answer of ssthresh at the next congestion event (ECE, or loss, where
 * the base halves the window as DCTCP does); each decision replaces the
 * one still pending.  With direct_decrease set, the RTT-driven cuts (2)
 * and (4) apply at the window boundary instead.
 *
 * Defaults are the thesis' (3.4, 4.1): g = 1/16, alpha_factor = 1/8,
 * beta = 1/8, addstep = 1, decre = 1/4, T_low = 5 ms, T_high = 50 ms
 * (for 100 Mbit/s).  The thesis' theta = 1/2 with alpha / (2 * theta)
 * would cut (5) and (7) by the whole of alpha, harder than DCTCP, while
 * its text says they cut "slightly less than normal"; the default here,
 * theta = 2, cuts by alpha / 4 as the author's own code does.
 *
 * T_low and T_high are absolute times tuned to the thesis' testbed.  With
 * auto_thresholds set they follow each connection instead: with
 * inflight segments in the network while the sample's segment was (those
 * delivered during its round trip, which pkts_acked reports), about
 * inflight * (new_rtt - minRTT) / new_rtt of them were queued (Vegas'
 * "diff"), and the path counts as clear below auto_low_pkts of them and
 * as congested above auto_high_pkts.  Equivalently
 *
 *	T_low  = minRTT + auto_low_pkts  * new_rtt / inflight
 *	T_high = minRTT + auto_high_pkts * new_rtt / inflight
 *
 * where new_rtt / inflight is the time one segment takes at the rate the
 * connection delivers: the thresholds scale with the path's base RTT and
 * with the rate, so they need no per-network tuning.  What is in flight,
 * not cwnd: an application-limited flow with a large cwnd queues little.
 *
 * Every decision counts in /sys/kernel/debug/tdctcp/case_count (write 0
 * to reset) and emits the tdctcp:tdctcp_decision trace event.
 * Fractions are in 1/1024 (see tcp_dctcp_base.h), times in microseconds.
 */

#define DCTCP_CA_NAME "tdctcp"
#include "tcp_dctcp_base.h"
#ifndef DCTCP_BPF
#include <linux/debugfs.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>

#define CREATE_TRACE_POINTS
#include "tcp_tdctcp_trace.h"
#endif

/* The eight cases of Figure 3-2, numbered as in the thesis */
enum tdctcp_case {
	TDCTCP_NONE,		/* no decision pending */
	TDCTCP_CLEAR,		/* (1) low alpha, low RTT: grow by addstep */
	TDCTCP_SLOW,		/* (2) low alpha, RTT above T_high: cut by RTT */
	TDCTCP_EASING,		/* (3) low alpha, RTT not rising: grow */
	TDCTCP_RISING,		/* (4) low alpha, RTT rising: cut by gradient */
	TDCTCP_BURST,		/* (5) high alpha, low RTT: cut lightly */
	TDCTCP_SEVERE,		/* (6) high alpha, RTT above T_high: halve */
	TDCTCP_RECOVERING,	/* (7) high alpha, RTT not rising: cut lightly */
	TDCTCP_CONGESTED,	/* (8) high alpha, RTT rising: cut as DCTCP */
	TDCTCP_NR_CASES = TDCTCP_CONGESTED
};

/*
 * The smoothed RTT change reads as a rise only from one microsecond, the
 * resolution of the RTT samples.  The EWMA's decay rounds toward zero,
 * so after any rise a flat RTT would leave a positive residue below a
 * microsecond for ever (exact arithmetic only approaches zero too) and
 * every later window would be case (4), the window never growing.
 */
#define TDCTCP_RISE_MIN_1024	DCTCP_ONE	/* 1 us, in us << 10 */

/* Case (3) must hold this many windows in a row before steps grow ... */
#define TDCTCP_FAST_AFTER	5
/* ... to this many addsteps per window (the thesis' N = 5) */
#define TDCTCP_FAST_STEPS	5

struct tdctcp {
	struct dctcp_base base;	/* must be first */
	u32 new_rtt_us;		/* latest RTT sample of this window, us */
	u32 prev_rtt_us;	/* new_rtt of the last decision, us */
	u32 min_rtt_us;		/* minRTT at the latest sample, us; 0 = none */
	u32 new_inflight;	/* segments delivered during new_rtt_us */
	s32 gradient_1024;	/* rtt_diff / minRTT of the last decision */
	s64 rtt_diff_1024;	/* EWMA of the RTT change, us << 10, signed */
	u32 t_high_us;		/* T_high the pending decision used, us */
	u8 easing_windows;	/* case (3) windows in a row, saturating */
	u8 pending_case;	/* decrease owed to the next congestion event */
	u8 sampled:1,		/* this window has an RTT sample */
	   decided:1;		/* the controller has made a decision */
};

/* A snapshot of the parameters, taken once per decision */
struct tdctcp_params {
	u32 alpha_factor_1024;
	u32 beta_1024;
	u32 addstep;
	u32 decre_1024;
	u32 theta_1024;
	u32 t_low_us;
	u32 t_high_us;
	u32 direct_decrease;
	u32 auto_thresholds;
	u32 auto_low_pkts;
	u32 auto_high_pkts;
};

/*
 * Parameters: module parameters, or the BPF object's .data.params (set
 * with scripts/bpf-cc, which checks the ranges stated below)
 */

/* alpha's EWMA gain; the DCTCP paper's 1/16 */
static unsigned int tdctcp_g_1024 __read_mostly = 64;
/* alpha at or above this is heavy congestion; thesis 3.4: 1/8 */
static unsigned int tdctcp_alpha_factor_1024 __read_mostly = 128;
/* EWMA gain of the RTT change; thesis 3.4: 1/8 (4.1 used 1/16) */
static unsigned int tdctcp_beta_1024 __read_mostly = 128;
/* sigma, the additive step; thesis 3.4: 1, conservative */
static unsigned int tdctcp_addstep __read_mostly = 1;
/* gamma, how hard RTT cuts in (2) and (4); thesis 3.4: 1/4 */
static unsigned int tdctcp_decre_1024 __read_mostly = 256;
/* (5) and (7) cut by alpha / (2 * theta); 2.0 gives alpha / 4 */
static unsigned int tdctcp_theta_1024 __read_mostly = 2048;
/* below this RTT the path is uncongested; thesis 3.4 at 100 Mbit/s */
static unsigned int tdctcp_t_low_us __read_mostly = 5000;
/* above this RTT latency is intolerable; ten times T_low */
static unsigned int tdctcp_t_high_us __read_mostly = 50000;
/* the thesis defers every decrease to the next congestion event */
static unsigned int tdctcp_direct_decrease __read_mostly;
/* derive T_low and T_high from minRTT and the connection's rate */
static unsigned int tdctcp_auto_thresholds __read_mostly;
/* own segments queued below which the path is clear (auto_thresholds) */
static unsigned int tdctcp_auto_low_pkts __read_mostly = 2;
/* own segments queued above which the path is congested */
static unsigned int tdctcp_auto_high_pkts __read_mostly = 10;

/*
 * Thresholds come in pairs that never cross: T_low <= T_high and
 * auto_low_pkts <= auto_high_pkts.  A write that would cross the other
 * threshold of its pair is refused, so moving both past each other takes
 * the order that keeps them apart (on insmod too).
 */
#define TDCTCP_MAX_RTT_US	100000000U	/* 100 s */
#define TDCTCP_MAX_AUTO_PKTS	10000U

#ifndef DCTCP_BPF
module_param_cb(g, &dctcp_param_gain, &tdctcp_g_1024, 0644);
__MODULE_PARM_TYPE(g, "uint");
MODULE_PARM_DESC(g, "EWMA gain of alpha, in 1/1024 (range 1-1024, default 64 = 1/16)");

module_param_cb(alpha_factor, &dctcp_param_factor, &tdctcp_alpha_factor_1024, 0644);
__MODULE_PARM_TYPE(alpha_factor, "uint");
MODULE_PARM_DESC(alpha_factor, "alpha from which cases (5)-(8) apply, in 1/1024 (range 0-1024, default 128 = 1/8)");

module_param_cb(beta, &dctcp_param_gain, &tdctcp_beta_1024, 0644);
__MODULE_PARM_TYPE(beta, "uint");
MODULE_PARM_DESC(beta, "EWMA gain of the RTT change, in 1/1024 (range 1-1024, default 128 = 1/8)");

/* no step at all would leave avoidance with no increase for ever */
static int tdctcp_addstep_set(const char *val, const struct kernel_param *kp)
{
	return dctcp_param_set_range(val, kp, 1, 64);
}

static const struct kernel_param_ops tdctcp_addstep_ops = {
	.set = tdctcp_addstep_set,
	.get = param_get_uint,
};

module_param_cb(addstep, &tdctcp_addstep_ops, &tdctcp_addstep, 0644);
__MODULE_PARM_TYPE(addstep, "uint");
MODULE_PARM_DESC(addstep, "Increase of cases (1) and (3) per window, in segments (range 1-64, default 1)");

module_param_cb(decre, &dctcp_param_factor, &tdctcp_decre_1024, 0644);
__MODULE_PARM_TYPE(decre, "uint");
MODULE_PARM_DESC(decre, "RTT decrease factor of cases (2) and (4), in 1/1024 (range 0-1024, default 256 = 1/4)");

static int tdctcp_theta_set(const char *val, const struct kernel_param *kp)
{
	return dctcp_param_set_range(val, kp, DCTCP_ONE / 2, 64 * DCTCP_ONE);
}

static const struct kernel_param_ops tdctcp_theta_ops = {
	.set = tdctcp_theta_set,
	.get = param_get_uint,
};

module_param_cb(theta, &tdctcp_theta_ops, &tdctcp_theta_1024, 0644);
__MODULE_PARM_TYPE(theta, "uint");
MODULE_PARM_DESC(theta, "Cases (5) and (7) cut cwnd by alpha/(2*theta); theta, in 1/1024 (range 512-65536, default 2048 = 2.0)");

static int tdctcp_t_low_set(const char *val, const struct kernel_param *kp)
{
	return dctcp_param_set_range(val, kp, 0, READ_ONCE(tdctcp_t_high_us));
}

static int tdctcp_t_high_set(const char *val, const struct kernel_param *kp)
{
	return dctcp_param_set_range(val, kp, READ_ONCE(tdctcp_t_low_us),
				     TDCTCP_MAX_RTT_US);
}

static const struct kernel_param_ops tdctcp_t_low_ops = {
	.set = tdctcp_t_low_set,
	.get = param_get_uint,
};

static const struct kernel_param_ops tdctcp_t_high_ops = {
	.set = tdctcp_t_high_set,
	.get = param_get_uint,
};

module_param_cb(t_low_us, &tdctcp_t_low_ops, &tdctcp_t_low_us, 0644);
__MODULE_PARM_TYPE(t_low_us, "uint");
MODULE_PARM_DESC(t_low_us, "RTT below which the path is clear (T_low), in us (range 0-t_high_us, default 5000)");
module_param_cb(t_high_us, &tdctcp_t_high_ops, &tdctcp_t_high_us, 0644);
__MODULE_PARM_TYPE(t_high_us, "uint");
MODULE_PARM_DESC(t_high_us, "RTT above which the path is congested (T_high), in us (range t_low_us-100000000, default 50000)");

module_param_cb(direct_decrease, &dctcp_param_switch, &tdctcp_direct_decrease, 0644);
__MODULE_PARM_TYPE(direct_decrease, "uint");
MODULE_PARM_DESC(direct_decrease, "Apply the RTT cuts of cases (2) and (4) at once, boolean (range 0-1, default 0)");

/* a message on an idle connection first backs off (tcp_dctcp_base.h) */
module_param_cb(restart_backoff, &dctcp_param_restart, &dctcp_restart_backoff, 0644);
__MODULE_PARM_TYPE(restart_backoff, "uint");
MODULE_PARM_DESC(restart_backoff, "A message starting on an idle connection first cuts cwnd, in mode 0 (no), 1 (by alpha/2) or 2 (by half the fraction of the last message marked or retransmitted) (range 0-2, default 0)");

module_param_cb(auto_thresholds, &dctcp_param_switch, &tdctcp_auto_thresholds, 0644);
__MODULE_PARM_TYPE(auto_thresholds, "uint");
MODULE_PARM_DESC(auto_thresholds, "Derive T_low and T_high per connection from minRTT and its rate instead of t_low_us and t_high_us, boolean (range 0-1, default 0)");

static int tdctcp_auto_low_set(const char *val, const struct kernel_param *kp)
{
	return dctcp_param_set_range(val, kp, 0,
				     READ_ONCE(tdctcp_auto_high_pkts));
}

static int tdctcp_auto_high_set(const char *val, const struct kernel_param *kp)
{
	return dctcp_param_set_range(val, kp, READ_ONCE(tdctcp_auto_low_pkts),
				     TDCTCP_MAX_AUTO_PKTS);
}

static const struct kernel_param_ops tdctcp_auto_low_ops = {
	.set = tdctcp_auto_low_set,
	.get = param_get_uint,
};

static const struct kernel_param_ops tdctcp_auto_high_ops = {
	.set = tdctcp_auto_high_set,
	.get = param_get_uint,
};

module_param_cb(auto_low_pkts, &tdctcp_auto_low_ops, &tdctcp_auto_low_pkts, 0644);
__MODULE_PARM_TYPE(auto_low_pkts, "uint");
MODULE_PARM_DESC(auto_low_pkts, "With auto_thresholds, own segments queued below which the path is clear, in segments (range 0-auto_high_pkts, default 2)");
module_param_cb(auto_high_pkts, &tdctcp_auto_high_ops, &tdctcp_auto_high_pkts, 0644);
__MODULE_PARM_TYPE(auto_high_pkts, "uint");
MODULE_PARM_DESC(auto_high_pkts, "With auto_thresholds, own segments queued above which the path is congested, in segments (range auto_low_pkts-10000, default 10)");
#endif /* !DCTCP_BPF */

/*
 * Decisions per case, n[0] counting case (1): per CPU, since every flow
 * on every CPU counts once per window.  Reading sums the CPUs; a reset
 * keeps the sums as a baseline instead of writing other CPUs' counters.
 */
struct tdctcp_case_counts {
	unsigned long n[TDCTCP_NR_CASES];
};

#ifdef DCTCP_BPF
static struct tdctcp_case_counts tdctcp_case_count;	/* scripts/bpf-cc counts */
#else
static DEFINE_PER_CPU(struct tdctcp_case_counts, tdctcp_case_count);
#endif

static void tdctcp_read_params(struct tdctcp_params *p)
{
	p->alpha_factor_1024 = READ_ONCE(tdctcp_alpha_factor_1024);
	p->beta_1024 = READ_ONCE(tdctcp_beta_1024);
	p->addstep = READ_ONCE(tdctcp_addstep);
	p->decre_1024 = READ_ONCE(tdctcp_decre_1024);
	p->theta_1024 = READ_ONCE(tdctcp_theta_1024);
	p->t_low_us = READ_ONCE(tdctcp_t_low_us);
	p->t_high_us = READ_ONCE(tdctcp_t_high_us);
	p->direct_decrease = READ_ONCE(tdctcp_direct_decrease);
	p->auto_thresholds = READ_ONCE(tdctcp_auto_thresholds);
	p->auto_low_pkts = READ_ONCE(tdctcp_auto_low_pkts);
	p->auto_high_pkts = READ_ONCE(tdctcp_auto_high_pkts);
}

/*
 * pkts_acked: keep the window's latest RTT sample, the segments delivered
 * while it was in flight, and minRTT, the kernel's windowed minimum
 * @min_rtt_us (which already holds the sample)
 */
static inline void tdctcp_rtt_sample(struct tdctcp *ca, s32 rtt_us,
				     u32 min_rtt_us, u32 inflight)
{
	if (rtt_us < 0)		/* no sample on this ACK */
		return;
	ca->new_rtt_us = rtt_us;
	ca->new_inflight = max(inflight, 1U);
	ca->sampled = 1;
	ca->min_rtt_us = max(min(min_rtt_us, (u32)rtt_us), 1U);
}

/* Lines 01-04: smooth the RTT change and normalize it by minRTT */
static inline void tdctcp_update_gradient(struct tdctcp *ca, u32 beta_1024)
{
	s64 new_diff_us = 0;	/* the first sample has no predecessor */
	s64 gradient_1024;

	if (ca->decided)
		new_diff_us = (s64)ca->new_rtt_us - ca->prev_rtt_us;
	ca->prev_rtt_us = ca->new_rtt_us;

	ca->rtt_diff_1024 += new_diff_us * beta_1024 -
			     div_s64(ca->rtt_diff_1024 * beta_1024, DCTCP_ONE);
	gradient_1024 = div_s64(ca->rtt_diff_1024,
				(s32)max(ca->min_rtt_us, 1U));
	ca->gradient_1024 = (s32)clamp_t(s64, gradient_1024, S32_MIN, S32_MAX);
}

/* minRTT plus @pkts segments at the rate of @inflight per @rtt_us, in us */
static inline u32 tdctcp_queue_delay_us(u32 min_rtt_us, u32 rtt_us,
					u32 inflight, u32 pkts)
{
	u64 t_us = (u64)min_rtt_us +
		   div_u64((u64)pkts * rtt_us, max(inflight, 1U));

	return (u32)min_t(u64, t_us, U32_MAX);
}

/* auto_thresholds: T_low and T_high for this window, from minRTT and rate */
static inline void tdctcp_auto_thresholds_of(const struct tdctcp *ca,
					     struct tdctcp_params *p)
{
	p->t_low_us = tdctcp_queue_delay_us(ca->min_rtt_us, ca->new_rtt_us,
					    ca->new_inflight, p->auto_low_pkts);
	p->t_high_us = tdctcp_queue_delay_us(ca->min_rtt_us, ca->new_rtt_us,
					     ca->new_inflight,
					     p->auto_high_pkts);
}

/* Lines 06-34: which of the eight cases this window is in */
static inline enum tdctcp_case tdctcp_classify(u32 alpha_1024, u32 rtt_us,
					       s64 rtt_diff_1024,
					       const struct tdctcp_params *p)
{
	bool heavy = alpha_1024 >= p->alpha_factor_1024;

	if (rtt_us < p->t_low_us)
		return heavy ? TDCTCP_BURST : TDCTCP_CLEAR;
	if (rtt_us > p->t_high_us)
		return heavy ? TDCTCP_SEVERE : TDCTCP_SLOW;
	if (rtt_diff_1024 < TDCTCP_RISE_MIN_1024)	/* gradient <= 0 */
		return heavy ? TDCTCP_RECOVERING : TDCTCP_EASING;
	return heavy ? TDCTCP_CONGESTED : TDCTCP_RISING;
}

static inline bool tdctcp_case_grows(enum tdctcp_case c)
{
	return c == TDCTCP_CLEAR || c == TDCTCP_EASING;
}

/* (2): gamma * (1 - T_high / rtt) + alpha / 2, in 1/2^20 */
static inline u64 tdctcp_slow_cut_2p20(u32 rtt_us, u32 alpha_1024,
				       const struct tdctcp_params *p)
{
	u64 excess_1024 = 0;	/* 1 - T_high / rtt */

	if (rtt_us > p->t_high_us)
		excess_1024 = DCTCP_ONE -
			      div_u64((u64)p->t_high_us << DCTCP_ONE_SHIFT,
				      rtt_us);
	return p->decre_1024 * excess_1024 +
	       ((u64)alpha_1024 << (DCTCP_ONE_SHIFT - 1));
}

/*
 * The window case @c asks for, in segments, from @cwnd: @rtt_us is the
 * RTT the decision saw, @steps the N of case (3).  At least
 * DCTCP_MIN_CWND, at most @clamp.  Inlined, as tdctcp_decide(): a BPF
 * function (make bpf) takes at most five arguments.
 */
static __always_inline u32 tdctcp_window(const struct tdctcp *ca,
					 enum tdctcp_case c, u32 cwnd,
					 u32 alpha_1024, u32 rtt_us,
					 u32 steps, u32 clamp,
					 const struct tdctcp_params *p)
{
	u64 target, cut_2p20;

	switch (c) {
	case TDCTCP_CLEAR:
		target = (u64)cwnd + p->addstep;
		break;
	case TDCTCP_SLOW:
		cut_2p20 = tdctcp_slow_cut_2p20(rtt_us, alpha_1024, p);
		target = dctcp_cwnd_cut(cwnd, (cwnd * cut_2p20) >> 20);
		break;
	case TDCTCP_EASING:
		target = (u64)cwnd + (u64)steps * p->addstep;
		break;
	case TDCTCP_RISING:
		/* gamma * gradient, saturated where it would cut everything */
		cut_2p20 = (u64)p->decre_1024 * max(ca->gradient_1024, 0);
		if (cut_2p20 >= 1U << 20)
			target = DCTCP_MIN_CWND;
		else
			target = dctcp_cwnd_cut(cwnd, (cwnd * cut_2p20) >> 20);
		target = min_t(u64, target, cwnd - 1);
		break;
	case TDCTCP_BURST:
	case TDCTCP_RECOVERING:
		target = dctcp_cwnd_cut(cwnd,
					div_u64((u64)cwnd * alpha_1024 *
						(DCTCP_ONE / 2),
						p->theta_1024) >> DCTCP_ONE_SHIFT);
		break;
	case TDCTCP_SEVERE:
		target = cwnd / 2;
		break;
	case TDCTCP_CONGESTED:
	default:
		target = dctcp_cwnd_cut(cwnd, ((u64)cwnd * alpha_1024) >>
					      (DCTCP_ONE_SHIFT + 1));
		break;
	}
	return (u32)clamp_t(u64, target, DCTCP_MIN_CWND,
			    max(clamp, DCTCP_MIN_CWND));
}

/*
 * Figure 3-2 for one window whose RTT sample is ca->new_rtt_us: update
 * the gradient, pick the case and the window it asks for (*target).
 * With auto_thresholds, *p gets this window's T_low and T_high first.
 */
static __always_inline enum tdctcp_case
tdctcp_decide(struct tdctcp *ca, u32 alpha_1024, u32 cwnd, u32 clamp,
	      struct tdctcp_params *p, u32 *target)
{
	enum tdctcp_case c;
	u32 steps = 1;

	if (p->auto_thresholds)
		tdctcp_auto_thresholds_of(ca, p);
	ca->t_high_us = p->t_high_us;
	tdctcp_update_gradient(ca, p->beta_1024);
	ca->decided = 1;
	c = tdctcp_classify(alpha_1024, ca->new_rtt_us, ca->rtt_diff_1024, p);

	if (c == TDCTCP_EASING) {
		if (ca->easing_windows >= TDCTCP_FAST_AFTER)
			steps = TDCTCP_FAST_STEPS;
		if (ca->easing_windows < U8_MAX)
			ca->easing_windows++;
	} else {
		ca->easing_windows = 0;
	}

	*target = tdctcp_window(ca, c, cwnd, alpha_1024, ca->new_rtt_us,
				steps, clamp, p);
	return c;
}

/* Run the controller at the end of a window and apply what it decides */
static void tdctcp_control(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tdctcp *ca = inet_csk_ca(sk);
	bool open = inet_csk(sk)->icsk_ca_state == TCP_CA_Open;
	u32 cwnd = tcp_snd_cwnd(tp);
	struct tdctcp_params p;
	enum tdctcp_case c;
	u32 target;

	tdctcp_read_params(&p);
	c = tdctcp_decide(ca, ca->base.alpha_1024, cwnd, tp->snd_cwnd_clamp,
			  &p, &target);
	this_cpu_inc(tdctcp_case_count.n[c - 1]);
	trace_tdctcp_decision(sk, ca->new_rtt_us, ca->min_rtt_us,
			      ca->gradient_1024, ca->base.alpha_1024, c,
			      cwnd, target);

	if (tdctcp_case_grows(c)) {
		ca->pending_case = TDCTCP_NONE;
		/* congestion avoidance only: slow start is the kernel's */
		if (open && !tcp_in_slow_start(tp) && tcp_is_cwnd_limited(sk))
			tcp_snd_cwnd_set(tp, target);
	} else if (p.direct_decrease && open &&
		   (c == TDCTCP_SLOW || c == TDCTCP_RISING)) {
		/* applied now: no earlier decision is owed any more */
		ca->pending_case = TDCTCP_NONE;
		tcp_snd_cwnd_set(tp, target);
		tp->snd_ssthresh = target;
	} else {
		ca->pending_case = c;
	}
}

/*
 * ssthresh on ECE or loss: the pending decrease, computed on the window
 * as it is now, or DCTCP's cut (case (8)) when nothing is pending.
 */
static u32 dctcp_ca_backoff(struct sock *sk, u32 cwnd)
{
	struct tdctcp *ca = inet_csk_ca(sk);
	enum tdctcp_case c = ca->pending_case;
	struct tdctcp_params p;

	ca->pending_case = TDCTCP_NONE;
	if (c == TDCTCP_NONE)
		c = TDCTCP_CONGESTED;
	tdctcp_read_params(&p);
	/* prev_rtt_us and t_high_us are what the pending decision saw */
	p.t_high_us = ca->t_high_us;
	return tdctcp_window(ca, c, cwnd, ca->base.alpha_1024,
			     ca->prev_rtt_us, 1, tcp_sk(sk)->snd_cwnd_clamp,
			     &p);
}

/* A restart cut (tcp_dctcp_base.h) answers for the decrease pending */
static void dctcp_ca_restart(struct sock *sk)
{
	struct tdctcp *ca = inet_csk_ca(sk);

	ca->pending_case = TDCTCP_NONE;
}

static void tdctcp_init(struct sock *sk)
{
	struct tdctcp *ca = inet_csk_ca(sk);

	if (!dctcp_base_init(sk, DCTCP_ONE))
		return;
	ca->new_rtt_us = 0;
	ca->prev_rtt_us = 0;
	ca->min_rtt_us = 0;
	ca->new_inflight = 0;
	ca->gradient_1024 = 0;
	ca->rtt_diff_1024 = 0;
	ca->t_high_us = 0;
	ca->easing_windows = 0;
	ca->pending_case = TDCTCP_NONE;
	ca->sampled = 0;
	ca->decided = 0;
}

/* sample->in_flight: bytes delivered while the sampled segment was out */
static void tdctcp_pkts_acked(struct sock *sk, const struct ack_sample *sample)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	tdctcp_rtt_sample(inet_csk_ca(sk), sample->rtt_us, tcp_min_rtt(tp),
			  sample->in_flight / max(tp->mss_cache, 1U));
}

static void tdctcp_in_ack_event(struct sock *sk, u32 flags)
{
	struct tdctcp *ca = inet_csk_ca(sk);

	if (!dctcp_base_update_alpha(sk, READ_ONCE(tdctcp_g_1024)))
		return;
	/* a window without an RTT sample has nothing to decide on */
	if (ca->sampled) {
		tdctcp_control(sk);
		ca->sampled = 0;
	}
}

/* Slow start as the kernel does it; in congestion avoidance the
 * controller grows the window, or Reno until its first decision.
 */
static void tdctcp_cong_avoid(struct sock *sk, u32 ack, u32 acked)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct tdctcp *ca = inet_csk_ca(sk);

	if (!tcp_is_cwnd_limited(sk))
		return;
	if (tcp_in_slow_start(tp))
		tcp_slow_start(tp, acked);
	else if (!ca->decided)
		tcp_cong_avoid_ai(tp, tcp_snd_cwnd(tp), acked);
}

#ifndef DCTCP_BPF
/* debugfs: tdctcp/case_count lists "case decisions"; writing 0 resets */
static struct dentry *tdctcp_debugfs;
/* the sums at the last reset, under tdctcp_case_lock */
static unsigned long tdctcp_case_base[TDCTCP_NR_CASES];
static DEFINE_MUTEX(tdctcp_case_lock);

static unsigned long tdctcp_case_sum(int i)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu(tdctcp_case_count, cpu).n[i]);
	return sum;
}

static int tdctcp_case_count_show(struct seq_file *m, void *v)
{
	int i;

	mutex_lock(&tdctcp_case_lock);
	for (i = 0; i < TDCTCP_NR_CASES; i++)
		seq_printf(m, "%d %lu\n", i + 1,
			   tdctcp_case_sum(i) - tdctcp_case_base[i]);
	mutex_unlock(&tdctcp_case_lock);
	return 0;
}

static int tdctcp_case_count_open(struct inode *inode, struct file *file)
{
	return single_open(file, tdctcp_case_count_show, NULL);
}

static ssize_t tdctcp_case_count_write(struct file *file,
				       const char __user *buf, size_t len,
				       loff_t *ppos)
{
	unsigned int v;
	int i;

	if (kstrtouint_from_user(buf, len, 10, &v) || v)
		return -EINVAL;
	mutex_lock(&tdctcp_case_lock);
	for (i = 0; i < TDCTCP_NR_CASES; i++)
		tdctcp_case_base[i] = tdctcp_case_sum(i);
	mutex_unlock(&tdctcp_case_lock);
	return len;
}

static const struct file_operations tdctcp_case_count_fops = {
	.owner		= THIS_MODULE,
	.open		= tdctcp_case_count_open,
	.read		= seq_read,
	.write		= tdctcp_case_count_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

static struct tcp_congestion_ops tdctcp __read_mostly = {
	.init		= tdctcp_init,
	.in_ack_event	= tdctcp_in_ack_event,
	.pkts_acked	= tdctcp_pkts_acked,
	.cwnd_event	= dctcp_base_cwnd_event,
#ifdef DCTCP_COMPAT_TX_START_OP
	.cwnd_event_tx_start = dctcp_base_tx_start,
#endif
	.ssthresh	= dctcp_base_ssthresh,
	.cong_avoid	= tdctcp_cong_avoid,
	.undo_cwnd	= dctcp_base_undo_cwnd,
	.set_state	= dctcp_base_set_state,
	.get_info	= dctcp_base_get_info,
	.flags		= TCP_CONG_NEEDS_ECN,
	.owner		= THIS_MODULE,
	.name		= DCTCP_CA_NAME,
};

static int __init tdctcp_register(void)
{
	int err;

	BUILD_BUG_ON(sizeof(struct tdctcp) > ICSK_CA_PRIV_SIZE);
	err = tcp_register_congestion_control(&tdctcp);
	if (err)
		return err;
	/* counters are a debugging aid: failing to expose them is not fatal */
	tdctcp_debugfs = debugfs_create_dir(DCTCP_CA_NAME, NULL);
	debugfs_create_file("case_count", 0644, tdctcp_debugfs, NULL,
			    &tdctcp_case_count_fops);
	return 0;
}

static void __exit tdctcp_unregister(void)
{
	debugfs_remove_recursive(tdctcp_debugfs);
	tcp_unregister_congestion_control(&tdctcp);
}

module_init(tdctcp_register);
module_exit(tdctcp_unregister);

MODULE_AUTHOR("xdctcp/tdctcp authors");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");
MODULE_DESCRIPTION("T-DCTCP: DCTCP with an RTT and ECN eight-case controller");
#endif /* !DCTCP_BPF */
