// SPDX-License-Identifier: GPL-2.0
/*
 * Models of the kernel helpers the modules call, for the unit tests.
 * They follow Linux 6.1's behaviour closely enough for the modules'
 * decisions to be checked, and record what the modules asked for.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>

#include "kstub.h"

struct kstub_ack kstub_acks[64];
unsigned int kstub_nr_acks;
struct tcp_congestion_ops *kstub_registered;

#define KSTUB_MAX_PARAMS 32

static const struct kernel_param *params[KSTUB_MAX_PARAMS];
static unsigned int nr_params;
static struct {
	const char *name;
	const char *desc;
} descs[KSTUB_MAX_PARAMS];
static unsigned int nr_descs;

void kstub_param_register(const struct kernel_param *kp)
{
	if (nr_params < KSTUB_MAX_PARAMS)
		params[nr_params++] = kp;
}

void kstub_param_describe(const char *name, const char *desc)
{
	if (nr_descs < KSTUB_MAX_PARAMS) {
		descs[nr_descs].name = name;
		descs[nr_descs++].desc = desc;
	}
}

const struct kernel_param *kstub_param(const char *name)
{
	unsigned int i;

	for (i = 0; i < nr_params; i++)
		if (!strcmp(params[i]->name, name))
			return params[i];
	return NULL;
}

const char *kstub_param_desc(const char *name)
{
	unsigned int i;

	for (i = 0; i < nr_descs; i++)
		if (!strcmp(descs[i].name, name))
			return descs[i].desc;
	return NULL;
}

unsigned int kstub_nr_params(void)
{
	return nr_params;
}

const struct kernel_param *kstub_param_at(unsigned int i)
{
	return i < nr_params ? params[i] : NULL;
}

/* lib/kstrtox.c: optional '+', a radix prefix for base 0 (0x hex, 0 octal),
 * digits, one optional trailing newline; -ERANGE on overflow
 */
int kstrtouint(const char *s, unsigned int base, unsigned int *res)
{
	unsigned long long v = 0;
	const char *p = s;
	unsigned int d, n = 0;

	if (*p == '+')
		p++;
	if (base == 0) {
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
		    isxdigit((unsigned char)p[2]))
			base = 16;
		else
			base = p[0] == '0' ? 8 : 10;
	}
	if (base == 16 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (;; p++, n++) {
		if (*p >= '0' && *p <= '9')
			d = (unsigned int)(*p - '0');
		else if (tolower((unsigned char)*p) >= 'a' &&
			 tolower((unsigned char)*p) <= 'f')
			d = (unsigned int)(tolower((unsigned char)*p) - 'a' + 10);
		else
			break;
		if (d >= base)
			break;
		v = v * base + d;
		if (v > UINT_MAX) {
			/* the kernel parses all digits, then reports overflow */
			return -ERANGE;
		}
	}
	if (!n)
		return -EINVAL;
	if (*p == '\n')
		p++;
	if (*p)
		return -EINVAL;
	*res = (unsigned int)v;
	return 0;
}

/* kernel/params.c */
int param_set_uint_minmax(const char *val, const struct kernel_param *kp,
			  unsigned int min, unsigned int max)
{
	unsigned int num;
	int ret;

	if (!val)
		return -EINVAL;
	ret = kstrtouint(val, 0, &num);
	if (ret)
		return ret;
	if (num < min || num > max)
		return -EINVAL;
	*((unsigned int *)kp->arg) = num;
	return 0;
}

int param_get_uint(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%u\n", *((unsigned int *)kp->arg));
}

unsigned int *kstub_param_value(const struct kernel_param *kp)
{
	return kp->arg;
}

/* one bound of "(range A-B": a number, or a parameter's current value */
static int range_bound(const char *s, size_t len, unsigned int *out)
{
	const struct kernel_param *kp;
	char name[64];

	if (!len || len >= sizeof(name))
		return -1;
	memcpy(name, s, len);
	name[len] = '\0';
	if (isdigit((unsigned char)name[0]))
		return kstrtouint(name, 10, out) ? -1 : 0;
	kp = kstub_param(name);
	if (!kp)
		return -1;
	*out = *kstub_param_value(kp);
	return 0;
}

int kstub_param_range(const struct kernel_param *kp, unsigned int *min,
		      unsigned int *max)
{
	const char *desc = kstub_param_desc(kp->name), *a, *dash, *end;

	if (!desc || !(a = strstr(desc, "(range ")))
		return -1;
	a += strlen("(range ");
	dash = strchr(a, '-');
	end = dash ? strchr(dash, ',') : NULL;
	if (!end)
		return -1;
	if (range_bound(a, (size_t)(dash - a), min) ||
	    range_bound(dash + 1, (size_t)(end - dash - 1), max))
		return -1;
	return 0;
}

int kstrtouint_from_user(const char __user *s, size_t count,
			 unsigned int base, unsigned int *res)
{
	char buf[24];

	count = count < sizeof(buf) - 1 ? count : sizeof(buf) - 1;
	memcpy(buf, s, count);
	buf[count] = '\0';
	return kstrtouint(buf, base, res);
}

int sysfs_emit(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, 4096, fmt, ap);
	va_end(ap);
	return n;
}

int seq_printf(struct seq_file *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(m->buf + m->count, sizeof(m->buf) - m->count, fmt, ap);
	va_end(ap);
	if (n > 0)
		m->count += (size_t)n;
	return 0;
}

int single_open(struct file *file, int (*show)(struct seq_file *, void *),
		void *data)
{
	(void)file; (void)show; (void)data;
	return 0;
}

int single_release(struct inode *inode, struct file *file)
{
	(void)inode; (void)file;
	return 0;
}

ssize_t seq_read(struct file *file, char __user *buf, size_t size,
		 loff_t *ppos)
{
	(void)file; (void)buf; (void)size; (void)ppos;
	return 0;
}

loff_t seq_lseek(struct file *file, loff_t offset, int whence)
{
	(void)file; (void)offset; (void)whence;
	return 0;
}

struct dentry *debugfs_create_dir(const char *name, struct dentry *parent)
{
	(void)name; (void)parent;
	return NULL;
}

struct dentry *debugfs_create_file(const char *name, unsigned short mode,
				   struct dentry *parent, void *data,
				   const struct file_operations *fops)
{
	(void)name; (void)mode; (void)parent; (void)data; (void)fops;
	return NULL;
}

void debugfs_remove_recursive(struct dentry *dentry)
{
	(void)dentry;
}

/* net/ipv4/tcp_cong.c */
u32 tcp_slow_start(struct tcp_sock *tp, u32 acked)
{
	u32 cwnd = min(tp->snd_cwnd + acked, tp->snd_ssthresh);

	acked -= cwnd - tp->snd_cwnd;
	tp->snd_cwnd = min(cwnd, tp->snd_cwnd_clamp);
	return acked;
}

void tcp_cong_avoid_ai(struct tcp_sock *tp, u32 w, u32 acked)
{
	if (tp->snd_cwnd_cnt >= w) {
		tp->snd_cwnd_cnt = 0;
		tp->snd_cwnd++;
	}
	tp->snd_cwnd_cnt += acked;
	if (tp->snd_cwnd_cnt >= w) {
		u32 delta = tp->snd_cwnd_cnt / w;

		tp->snd_cwnd_cnt -= delta * w;
		tp->snd_cwnd += delta;
	}
	tp->snd_cwnd = min(tp->snd_cwnd, tp->snd_cwnd_clamp);
}

u32 tcp_reno_ssthresh(struct sock *sk)
{
	return max(tcp_sk(sk)->snd_cwnd >> 1U, 2U);
}

void tcp_reno_cong_avoid(struct sock *sk, u32 ack, u32 acked)
{
	struct tcp_sock *tp = tcp_sk(sk);

	(void)ack;
	if (!tcp_is_cwnd_limited(sk))
		return;
	if (tcp_in_slow_start(tp)) {
		acked = tcp_slow_start(tp, acked);
		if (!acked)
			return;
	}
	tcp_cong_avoid_ai(tp, tp->snd_cwnd, acked);
}

u32 tcp_reno_undo_cwnd(struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return max(tp->snd_cwnd, tp->prior_cwnd);
}

static void kstub_record_ack(struct sock *sk, u32 rcv_nxt, u16 flags)
{
	if (kstub_nr_acks < sizeof(kstub_acks) / sizeof(kstub_acks[0])) {
		kstub_acks[kstub_nr_acks].rcv_nxt = rcv_nxt;
		kstub_acks[kstub_nr_acks].flags = flags;
		kstub_acks[kstub_nr_acks++].ece =
			tcp_sk(sk)->ecn_flags & TCP_ECN_DEMAND_CWR;
	}
}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 15, 0)
void __tcp_send_ack(struct sock *sk, u32 rcv_nxt, u16 flags)
{
	kstub_record_ack(sk, rcv_nxt, flags);
}
#else
void __tcp_send_ack(struct sock *sk, u32 rcv_nxt)
{
	kstub_record_ack(sk, rcv_nxt, 0);
}
#endif

bool kstub_tx_start(struct sock *sk)
{
	const struct tcp_congestion_ops *ops = inet_csk(sk)->icsk_ca_ops;

	if (tcp_packets_in_flight(tcp_sk(sk)))
		return false;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 1, 0)
	if (ops->cwnd_event_tx_start)
		ops->cwnd_event_tx_start(sk);
#else
	if (ops->cwnd_event)
		ops->cwnd_event(sk, CA_EVENT_TX_START);
#endif
	return true;
}

unsigned int kstub_warnings;
unsigned int kstub_lock_errors;

void kstub_pkts_acked(struct sock *sk, u32 pkts, s32 rtt_us, u32 inflight)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct ack_sample sample = {
		.pkts_acked = pkts,
		.rtt_us = rtt_us,
		.in_flight = inflight * tp->mss_cache,
	};

	/* tcp_update_rtt_min(): a zero RTT counts as a jiffy (HZ 250) */
	if (rtt_us >= 0 && (u32)(rtt_us ? rtt_us : 4000) < tcp_min_rtt(tp))
		tp->rtt_min.s[0].v = rtt_us ? (u32)rtt_us : 4000;
	if (inet_csk(sk)->icsk_ca_ops->pkts_acked)
		inet_csk(sk)->icsk_ca_ops->pkts_acked(sk, &sample);
}

void kstub_warn(const char *file, int line, const char *cond)
{
	/* the first few: a broken invariant can warn on every event */
	if (kstub_warnings++ < 5)
		fprintf(stderr, "WARNING: %s:%d: %s\n", file, line, cond);
}

/* net/ipv4/tcp_input.c, 6.1 */
void kstub_set_ca_state(struct sock *sk, u8 ca_state)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	if (icsk->icsk_ca_ops->set_state)
		icsk->icsk_ca_ops->set_state(sk, ca_state);
	icsk->icsk_ca_state = ca_state;
}

static void init_cwnd_reduction(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->high_seq = tp->snd_nxt;
	tp->snd_cwnd_cnt = 0;
	tp->prior_cwnd = tcp_snd_cwnd(tp);
	tp->snd_ssthresh = inet_csk(sk)->icsk_ca_ops->ssthresh(sk);
}

void kstub_enter_cwr(struct sock *sk)
{
	tcp_sk(sk)->prior_ssthresh = 0;
	if (inet_csk(sk)->icsk_ca_state < TCP_CA_CWR) {
		init_cwnd_reduction(sk);
		kstub_set_ca_state(sk, TCP_CA_CWR);
	}
}

void kstub_enter_recovery(struct sock *sk)
{
	u8 state = inet_csk(sk)->icsk_ca_state;

	tcp_sk(sk)->prior_ssthresh = 0;
	/* not already in a reduction (tcp_in_cwnd_reduction()) */
	if (state != TCP_CA_CWR && state != TCP_CA_Recovery)
		init_cwnd_reduction(sk);
	kstub_set_ca_state(sk, TCP_CA_Recovery);
}

void kstub_enter_loss(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);

	/* tcp_timeout_mark_lost(): every outstanding segment is lost */
	tp->lost_out = tp->packets_out - tp->sacked_out;
	tp->retrans_out = 0;
	if (icsk->icsk_ca_state <= TCP_CA_Disorder ||
	    !after(tp->high_seq, tp->snd_una)) {
		tp->prior_cwnd = tcp_snd_cwnd(tp);
		tp->snd_ssthresh = icsk->icsk_ca_ops->ssthresh(sk);
		if (icsk->icsk_ca_ops->cwnd_event)
			icsk->icsk_ca_ops->cwnd_event(sk, CA_EVENT_LOSS);
	}
	tcp_snd_cwnd_set(tp, tcp_packets_in_flight(tp) + 1);
	tp->snd_cwnd_cnt = 0;
	tp->high_seq = tp->snd_nxt;
	kstub_set_ca_state(sk, TCP_CA_Loss);
}

void INET_ECN_dontxmit(struct sock *sk)
{
	tcp_sk(sk)->tos &= (u8)~INET_ECN_MASK;
}

int tcp_register_congestion_control(struct tcp_congestion_ops *ca)
{
	if (!ca->ssthresh || !ca->undo_cwnd ||
	    !(ca->cong_avoid || ca->cong_control))
		return -EINVAL;
	kstub_registered = ca;
	return 0;
}

void tcp_unregister_congestion_control(struct tcp_congestion_ops *ca)
{
	if (kstub_registered == ca)
		kstub_registered = NULL;
}

/* an established ECN connection in congestion avoidance */
struct tcp_sock *kstub_sock(void)
{
	static struct tcp_sock tp;

	memset(&tp, 0, sizeof(tp));
	tp.icsk.sk.sk_state = TCP_ESTABLISHED;
	tp.ecn_flags = KSTUB_ECN_ON;
	tp.tos = 2;			/* ECT(0) */
	tp.snd_cwnd = 10;
	tp.snd_ssthresh = 0x7fffffff;
	tp.snd_cwnd_clamp = ~0U;
	tp.mss_cache = 1448;
	tp.snd_una = 1000;
	tp.snd_nxt = 1000;
	tp.rtt_min.s[0].v = ~0U;		/* tcp_init_sock(): no sample */
	kstub_nr_acks = 0;
	kstub_warnings = 0;
	return &tp;
}
