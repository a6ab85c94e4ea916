// SPDX-License-Identifier: GPL-2.0
/*
 * Coverage-guided fuzzing of a module's own source, compiled in user space
 * against the unit tests' stand-in headers (tests/unit/include) with
 * AddressSanitizer and UBSan.  The fuzzer's input is a program: each byte
 * picks an event on one connection (a window of ACKs with CE marks and an
 * RTT sample, per-ACK growth, a congestion event, a CA event, a state
 * change, undo, a new window or clamp, a parameter write, receiver-side
 * CE transitions, get_info, a new connection) and the next bytes are its
 * arguments.  After every event the module's invariants must hold:
 *
 *	alpha in [0, 1024]
 *	ssthresh() in [2, max(clamp, 2)] (tdctcp) or [2, cwnd] (xdctcp,
 *	from a window of at least 2)
 *	every tdctcp decision's window in [2, max(clamp, 2)]
 *	a refused parameter write is -EINVAL and keeps the old value; an
 *	accepted one is within the range its description states
 *	no kernel warning (a window the kernel refuses)
 *
 * A violation aborts (libFuzzer saves the input); the sanitizers abort on
 * overflow, bad shifts, division by zero and out-of-bounds accesses.
 *
 * Built once per module: -DFUZZ_SOURCE='"../../tcp_tdctcp.c"' -DFUZZ_OPS=tdctcp
 * (-DFUZZ_TDCTCP for its trace hook).  With -DFUZZ_REPLAY it is a plain
 * program that runs the files named on its command line, as the
 * regression suite does with tests/fuzz/corpus/.
 */
#include FUZZ_SOURCE

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_MAX_EVENTS	4096
#define FUZZ_MAX_PARAMS	32

struct cursor {
	const u8 *data;
	size_t len;
};

static u8 next_u8(struct cursor *c)
{
	u8 v;

	if (!c->len)
		return 0;
	v = *c->data++;
	c->len--;
	return v;
}

static u32 next_u32(struct cursor *c)
{
	u32 v = 0;
	int i;

	for (i = 0; i < 4; i++)
		v = v << 8 | next_u8(c);
	return v;
}

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_cc: invariant broken: %s\n", what);
		abort();
	}
}

static struct tcp_sock *tp;
static struct sock *sk;

#ifdef FUZZ_TDCTCP
void test_trace_tdctcp_decision(const struct sock *s, u32 rtt_us,
				u32 min_rtt_us, s32 gradient_1024,
				u32 alpha_1024, u8 tcase, u32 cwnd_before,
				u32 cwnd_after)
{
	check(tcase >= 1 && tcase <= 8, "decision case in 1..8");
	check(cwnd_after >= 2 && cwnd_after <= max(tp->snd_cwnd_clamp, 2U),
	      "decision window in [2, max(clamp, 2)]");
}
#endif

static const struct tcp_congestion_ops *ops(void)
{
	return tp->icsk.icsk_ca_ops;
}

/* the parameters as loaded, put back before every input */
static unsigned int defaults[FUZZ_MAX_PARAMS];
static unsigned int nr_params;

static unsigned int *param_value(unsigned int i)
{
	return kstub_param_value(kstub_param_at(i));
}

static void reset(void)
{
	unsigned int i;

	if (!nr_params) {
		nr_params = min(kstub_nr_params(), (unsigned int)FUZZ_MAX_PARAMS);
		for (i = 0; i < nr_params; i++)
			defaults[i] = *param_value(i);
	}
	for (i = 0; i < nr_params; i++)
		*param_value(i) = defaults[i];
	tp = kstub_sock();
	sk = &tp->icsk.sk;
	tp->icsk.icsk_ca_ops = &FUZZ_OPS;
	FUZZ_OPS.init(sk);
}

/* malformed and edge-case writes, then any number the input gives */
static const char *const bad_writes[] = {
	"", "-1", "abc", "1x", " 1", "4294967296", "99999999999999999999",
	"0", "1", "1024", "1025", "65536", "100000000", "100000001",
};

static void param_event(struct cursor *c)
{
	const struct kernel_param *kp;
	unsigned int before, min, max;
	char buf[24];
	u8 which = next_u8(c);
	int err;

	if (!nr_params)
		return;
	kp = kstub_param_at(which % nr_params);
	check(!kstub_param_range(kp, &min, &max),
	      "the description states the range");
	if (which & 0x80)
		snprintf(buf, sizeof(buf), "%u", next_u32(c));
	else
		snprintf(buf, sizeof(buf), "%s",
			 bad_writes[next_u8(c) % ARRAY_SIZE(bad_writes)]);
	before = *kstub_param_value(kp);
	err = kp->ops->set(buf, kp);
	if (err)
		check(err == -EINVAL && *kstub_param_value(kp) == before,
		      "a refused write is -EINVAL and keeps the old value");
	else
		check(*kstub_param_value(kp) >= min &&
		      *kstub_param_value(kp) <= max,
		      "an accepted write is within range");
}

static void ack_window(struct cursor *c)
{
	u8 n = next_u8(c), ce = next_u8(c);
	u32 rtt = next_u32(c);
	/* mostly plausible RTTs, sometimes anything, sometimes no sample */
	s32 rtt_us = rtt & 0x80000000 ? -1 :
		     (s32)(rtt & (rtt & 0x40000000 ? 0x7fffffff : 0x3ffff));

	tp->is_cwnd_limited = ce & 1;
	/* the sample's segment saw the window's n delivered (0 too) */
	kstub_pkts_acked(sk, n, rtt_us, n);
	tp->snd_nxt += (u32)n * tp->mss_cache;
	tp->snd_una = tp->snd_nxt;
	tp->delivered += n;
	tp->delivered_ce += n ? (ce >> 1) % (n + 1U) : 0;
	tp->bytes_acked += (u64)n * tp->mss_cache;
	if (ops()->in_ack_event)
		ops()->in_ack_event(sk, ce);	/* the flags are not read */
}

/* optional hooks are called the way tcp_input.c does: when present */
static void cwnd_event(enum tcp_ca_event ev)
{
	if (ev == CA_EVENT_TX_START)
		kstub_tx_start(sk);	/* its own hook from 7.1 */
	else if (ops()->cwnd_event)
		ops()->cwnd_event(sk, ev);
}

static void congestion_event(void)
{
	u32 limit = tp->snd_cwnd;
	bool own = ops() == &FUZZ_OPS;	/* not the Reno fallback */
	u32 v = ops()->ssthresh(sk);

	check(v >= 2, "ssthresh at least 2");
#ifdef FUZZ_TDCTCP
	/* the window the pending case asks for: within the clamp */
	limit = max(tp->snd_cwnd_clamp, 2U);
#endif
	check(!own || limit < 2 || v <= limit,
	      "ssthresh at most the window (tdctcp: the clamp)");
	tp->snd_ssthresh = v;
	tp->snd_cwnd = v;
}

static void run(const u8 *data, size_t len)
{
	struct cursor c = { data, len };
	union tcp_cc_info info;
	unsigned int i;
	int attr;

	reset();
	for (i = 0; i < FUZZ_MAX_EVENTS && c.len; i++) {
		u8 op = next_u8(&c);

		switch (op % 12) {
		case 0:
		case 1:
			ack_window(&c);
			break;
		case 2:
			ops()->cong_avoid(sk, 0, next_u8(&c));
			break;
		case 3:
			congestion_event();
			break;
		case 4:
			cwnd_event((enum tcp_ca_event)(next_u8(&c) % 6));
			break;
		case 5:
			tp->icsk.icsk_ca_state = next_u8(&c) % 5;
			if (ops()->set_state)
				ops()->set_state(sk, tp->icsk.icsk_ca_state);
			break;
		case 6:
			tp->snd_cwnd = ops()->undo_cwnd(sk);
			break;
		case 7:
			/* any window a host can hold, 1 to 2^30 segments:
			 * tcp_snd_cwnd_set() warns on 0 and past INT_MAX,
			 * and Reno's growth divides by it
			 */
			tp->snd_cwnd = max(next_u32(&c) >> (2 + next_u8(&c) % 30), 1U);
			/* a route's cwnd clamp is at least 1 */
			tp->snd_cwnd_clamp = op & 0x80 ? max(next_u32(&c), 1U) : ~0U;
			break;
		case 8:
			param_event(&c);
			break;
		case 9:		/* receiver: a segment with or without CE */
			tp->rcv_nxt += next_u8(&c) * 100U;
			cwnd_event(op & 0x10 ? CA_EVENT_ECN_IS_CE :
					       CA_EVENT_ECN_NO_CE);
			tp->icsk.icsk_ack.pending = op & 0x20 ? ICSK_ACK_TIMER : 0;
			break;
		case 10:
			if (ops()->get_info)
				check(ops()->get_info(sk, ~0U, &attr, &info) <=
				      sizeof(info), "get_info fits its union");
			break;
		default:
			tp->icsk.icsk_ca_ops = &FUZZ_OPS;
			tp->ecn_flags = op & 0x40 ? 0 : KSTUB_ECN_ON;
			FUZZ_OPS.init(sk);
			break;
		}
		check(dctcp_base(sk)->alpha_1024 <= DCTCP_ONE, "alpha in [0, 1024]");
		check(!kstub_warnings, "no kernel warning (tcp_snd_cwnd_set)");
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t len)
{
	run(data, len);
	return 0;
}

#ifdef FUZZ_REPLAY
int main(int argc, char **argv)
{
	static u8 buf[1 << 16];
	int i, n = 0;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		size_t len;

		if (!f) {
			perror(argv[i]);
			return 2;
		}
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		run(buf, len);
		n++;
	}
	printf("%d inputs replayed, invariants held\n", n);
	return 0;
}
#endif
