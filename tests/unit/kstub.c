// SPDX-License-Identifier: GPL-2.0
/*
 * Models of the kernel helpers the modules call, for the unit tests.
 * They follow Linux 6.1's behaviour closely enough for the modules'
 * decisions to be checked, and record what the modules asked for.
 */
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

/* lib/kstrtox.c: optional '+', digits, one optional trailing newline */
int kstrtouint(const char *s, unsigned int base, unsigned int *res)
{
	unsigned long long v = 0;
	const char *p = s;

	if (base != 10)
		return -EINVAL;
	if (*p == '+')
		p++;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned int)(*p - '0');
		if (v > UINT_MAX)
			return -ERANGE;
	}
	if (*p == '\n')
		p++;
	if (*p)
		return -EINVAL;
	*res = (unsigned int)v;
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

void kstub_tx_start(struct sock *sk)
{
	const struct tcp_congestion_ops *ops = inet_csk(sk)->icsk_ca_ops;

#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 1, 0)
	if (ops->cwnd_event_tx_start)
		ops->cwnd_event_tx_start(sk);
#else
	if (ops->cwnd_event)
		ops->cwnd_event(sk, CA_EVENT_TX_START);
#endif
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
	kstub_nr_acks = 0;
	return &tp;
}
