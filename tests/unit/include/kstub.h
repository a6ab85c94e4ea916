/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stand-ins for the few kernel interfaces the modules use, so that the
 * unit tests compile the modules' own source files unchanged in user
 * space.  Types and constants mirror Linux 6.1, or with
 * KSTUB_LINUX_VERSION the newer interfaces tcp_dctcp_compat.h adapts to;
 * kernel helpers that the modules call (tcp_slow_start, __tcp_send_ack,
 * ...) are small models in kstub.c that record what the module asked for.
 */
#ifndef KSTUB_H
#define KSTUB_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <linux/types.h>
#include <linux/version.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#define U8_MAX		0xffU
#define S32_MAX		INT32_MAX
#define U32_MAX		UINT32_MAX
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define S32_MIN		INT32_MIN

#define __read_mostly
#define __init
#define __exit
#define __user
#define __must_check

#define READ_ONCE(x)		(*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, val)	(*(volatile typeof(x) *)&(x) = (val))
#define BUILD_BUG_ON(cond)	_Static_assert(!(cond), #cond)

/* like the kernel's: both sides of min() and max() must have one type */
#define min(x, y) ({ typeof(x) _x = (x); typeof(y) _y = (y);	\
		     (void)(&_x == &_y); _x < _y ? _x : _y; })
#define max(x, y) ({ typeof(x) _x = (x); typeof(y) _y = (y);	\
		     (void)(&_x == &_y); _x > _y ? _x : _y; })
#define min_t(t, x, y)	({ t _x = (x); t _y = (y); _x < _y ? _x : _y; })
#define max_t(t, x, y)	({ t _x = (x); t _y = (y); _x > _y ? _x : _y; })
#define clamp_t(t, v, lo, hi)	min_t(t, max_t(t, v, lo), hi)
#define min_not_zero(x, y) ({ typeof(x) __x = (x); typeof(y) __y = (y); \
			      __x == 0 ? __y : ((__y == 0) ? __x : min(__x, __y)); })

static inline u64 div_u64(u64 dividend, u32 divisor)
{
	return dividend / divisor;
}

static inline s64 div_s64(s64 dividend, s32 divisor)
{
	return dividend / divisor;
}

static inline bool before(u32 seq1, u32 seq2)
{
	return (s32)(seq1 - seq2) < 0;
}

#define after(seq2, seq1)	before(seq1, seq2)

/* modules and parameters */
struct module;
#define THIS_MODULE	((struct module *)0)

struct kernel_param;
struct kernel_param_ops {
	int (*set)(const char *val, const struct kernel_param *kp);
	int (*get)(char *buffer, const struct kernel_param *kp);
};

struct kernel_param {
	const char *name;
	const struct kernel_param_ops *ops;
	void *arg;
	unsigned int perm;
};

void kstub_param_register(const struct kernel_param *kp);
void kstub_param_describe(const char *name, const char *desc);

#define module_param_cb(name, ops, arg, perm)				\
	static const struct kernel_param __param_##name =		\
		{ #name, ops, arg, perm };				\
	__attribute__((constructor)) static void __param_reg_##name(void) \
	{ kstub_param_register(&__param_##name); }
#define MODULE_PARM_DESC(name, desc)					\
	__attribute__((constructor)) static void __param_desc_##name(void) \
	{ kstub_param_describe(#name, desc); }
#define __MODULE_PARM_TYPE(name, type)	extern int kstub_unused
#define MODULE_AUTHOR(x)		extern int kstub_unused
#define MODULE_LICENSE(x)		extern int kstub_unused
#define MODULE_VERSION(x)		extern int kstub_unused
#define MODULE_DESCRIPTION(x)		extern int kstub_unused
#define module_init(fn)	int kstub_module_init(void) { return fn(); }
#define module_exit(fn)	void kstub_module_exit(void) { fn(); }

int kstrtouint(const char *s, unsigned int base, unsigned int *res);
int param_set_uint_minmax(const char *val, const struct kernel_param *kp,
			  unsigned int min, unsigned int max);
int param_get_uint(char *buffer, const struct kernel_param *kp);
int kstrtouint_from_user(const char __user *s, size_t count,
			 unsigned int base, unsigned int *res);
int sysfs_emit(char *buf, const char *fmt, ...);

/*
 * Per-CPU variables, on one CPU: the same source reads and writes them
 * as the kernel's (this_cpu_inc() here, the sum over CPUs there)
 */
#define DEFINE_PER_CPU(type, name)	__typeof__(type) name
#define this_cpu_inc(x)			((x)++)
#define per_cpu(var, cpu)		(*((void)(cpu), &(var)))
#define for_each_possible_cpu(cpu)	for ((cpu) = 0; (cpu) < 1; (cpu)++)

/* a mutex that records misuse: locked twice or unlocked when free */
struct mutex {
	int locked;
};

#define DEFINE_MUTEX(name)	struct mutex name = { 0 }
extern unsigned int kstub_lock_errors;

static inline void mutex_lock(struct mutex *m)
{
	kstub_lock_errors += m->locked;
	m->locked = 1;
}

static inline void mutex_unlock(struct mutex *m)
{
	kstub_lock_errors += !m->locked;
	m->locked = 0;
}

/* debugfs and seq_file, enough to call the show and write handlers */
struct inode;
struct dentry;
struct file;
struct seq_file {
	char buf[4096];
	size_t count;
};

int seq_printf(struct seq_file *m, const char *fmt, ...);
int single_open(struct file *file, int (*show)(struct seq_file *, void *),
		void *data);
int single_release(struct inode *inode, struct file *file);
ssize_t seq_read(struct file *file, char __user *buf, size_t size,
		 loff_t *ppos);
loff_t seq_lseek(struct file *file, loff_t offset, int whence);

struct file_operations {
	struct module *owner;
	int (*open)(struct inode *inode, struct file *file);
	ssize_t (*read)(struct file *file, char __user *buf, size_t size,
			loff_t *ppos);
	ssize_t (*write)(struct file *file, const char __user *buf,
			 size_t size, loff_t *ppos);
	loff_t (*llseek)(struct file *file, loff_t offset, int whence);
	int (*release)(struct inode *inode, struct file *file);
};

struct dentry *debugfs_create_dir(const char *name, struct dentry *parent);
struct dentry *debugfs_create_file(const char *name, unsigned short mode,
				   struct dentry *parent, void *data,
				   const struct file_operations *fops);
void debugfs_remove_recursive(struct dentry *dentry);

/* sockets */
enum {
	TCP_ESTABLISHED = 1,
	TCP_SYN_SENT = 2,
	TCP_SYN_RECV = 3,
	TCP_CLOSE = 7,
	TCP_LISTEN = 10,
};

enum tcp_ca_state {
	TCP_CA_Open = 0,
	TCP_CA_Disorder = 1,
	TCP_CA_CWR = 2,
	TCP_CA_Recovery = 3,
	TCP_CA_Loss = 4,
};

enum tcp_ca_event {
	CA_EVENT_TX_START,
	CA_EVENT_CWND_RESTART,
	CA_EVENT_COMPLETE_CWR,
	CA_EVENT_LOSS,
	CA_EVENT_ECN_NO_CE,
	CA_EVENT_ECN_IS_CE,
};

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 15, 0)
#define TCP_ECN_MODE_RFC3168	0x1
#define TCP_ECN_MODE_ACCECN	0x10
#define TCP_ECN_MODE_ANY	(TCP_ECN_MODE_RFC3168 | TCP_ECN_MODE_ACCECN)
#define KSTUB_ECN_ON		TCP_ECN_MODE_RFC3168
#else
#define TCP_ECN_OK		1
#define KSTUB_ECN_ON		TCP_ECN_OK	/* what an ECN handshake sets */
#endif
#define TCP_ECN_QUEUE_CWR	2
#define TCP_ECN_DEMAND_CWR	4
#define TCP_CONG_NEEDS_ECN	0x2
#define TCP_CA_NAME_MAX		16
#define ICSK_ACK_TIMER		2
#define ICSK_ACK_NOW		16
#define INET_ECN_MASK		3

struct sock {
	int sk_state;
};

struct ack_sample {
	u32 pkts_acked;
	s32 rtt_us;
	u32 in_flight;
};

union tcp_cc_info;
struct rate_sample;

struct tcp_congestion_ops {
	u32 (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, u32 ack, u32 acked);
	void (*set_state)(struct sock *sk, u8 new_state);
	void (*cwnd_event)(struct sock *sk, enum tcp_ca_event ev);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 1, 0)
	void (*cwnd_event_tx_start)(struct sock *sk);
#endif
	void (*in_ack_event)(struct sock *sk, u32 flags);
	void (*pkts_acked)(struct sock *sk, const struct ack_sample *sample);
	void (*cong_control)(struct sock *sk, const struct rate_sample *rs);
	u32 (*undo_cwnd)(struct sock *sk);
	size_t (*get_info)(struct sock *sk, u32 ext, int *attr,
			   union tcp_cc_info *info);
	char name[TCP_CA_NAME_MAX];
	struct module *owner;
	u32 flags;
	void (*init)(struct sock *sk);
	void (*release)(struct sock *sk);
};

struct inet_connection_sock {
	struct sock sk;			/* first, as in the kernel */
	const struct tcp_congestion_ops *icsk_ca_ops;
	u8 icsk_ca_state;
	struct {
		u8 pending;
	} icsk_ack;
	u64 icsk_ca_priv[104 / sizeof(u64)];
};

#define ICSK_CA_PRIV_SIZE \
	sizeof(((struct inet_connection_sock *)0)->icsk_ca_priv)

/* include/linux/win_minmax.h */
struct minmax_sample {
	u32 t;
	u32 v;
};

struct minmax {
	struct minmax_sample s[3];
};

struct tcp_sock {
	struct inet_connection_sock icsk;	/* first, as in the kernel */
	u32 snd_una;
	u32 snd_nxt;
	u32 rcv_nxt;
	u32 delivered;
	u32 delivered_ce;
	u32 total_retrans;
	u32 snd_cwnd;
	u32 snd_cwnd_cnt;
	u32 snd_ssthresh;
	u32 snd_cwnd_clamp;
	u32 prior_cwnd;
	u32 prior_ssthresh;
	u32 high_seq;
	u32 packets_out;
	u32 sacked_out;
	u32 lost_out;
	u32 retrans_out;
	u32 mss_cache;
	u32 max_packets_out;
	struct minmax rtt_min;		/* ~0U until the first sample */
	u64 bytes_acked;
	u8 ecn_flags;
	u8 is_cwnd_limited;
	u8 tos;				/* inet_sk(sk)->tos */
};

static inline struct tcp_sock *tcp_sk(const struct sock *sk)
{
	return (struct tcp_sock *)sk;
}

static inline struct inet_connection_sock *inet_csk(const struct sock *sk)
{
	return (struct inet_connection_sock *)sk;
}

static inline void *inet_csk_ca(const struct sock *sk)
{
	return (void *)inet_csk(sk)->icsk_ca_priv;
}

static inline u32 tcp_snd_cwnd(const struct tcp_sock *tp)
{
	return tp->snd_cwnd;
}

/* WARN_ON_ONCE(): a kernel warning, which fails the running test */
extern unsigned int kstub_warnings;
void kstub_warn(const char *file, int line, const char *cond);
#define WARN_ON_ONCE(cond) ({						\
	bool _c = !!(cond);						\
	if (_c)								\
		kstub_warn(__FILE__, __LINE__, #cond);			\
	_c;								\
})

static inline void tcp_snd_cwnd_set(struct tcp_sock *tp, u32 val)
{
	WARN_ON_ONCE((int)val <= 0);		/* as 6.1 does */
	tp->snd_cwnd = val;
}

/* packets in the network: sent, not SACKed or lost, or retransmitted */
static inline u32 tcp_packets_in_flight(const struct tcp_sock *tp)
{
	return tp->packets_out - (tp->sacked_out + tp->lost_out) +
	       tp->retrans_out;
}

#define TCP_INFINITE_SSTHRESH	0x7fffffff

static inline bool tcp_in_initial_slowstart(const struct tcp_sock *tp)
{
	return tp->snd_ssthresh >= TCP_INFINITE_SSTHRESH;
}

/* the kernel's windowed minimum RTT (win_minmax.h): best sample first */
static inline u32 tcp_min_rtt(const struct tcp_sock *tp)
{
	return tp->rtt_min.s[0].v;
}

static inline bool tcp_in_slow_start(const struct tcp_sock *tp)
{
	return tcp_snd_cwnd(tp) < tp->snd_ssthresh;
}

static inline bool tcp_is_cwnd_limited(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	if (tp->is_cwnd_limited)
		return true;
	if (tcp_in_slow_start(tp))
		return tcp_snd_cwnd(tp) < 2 * tp->max_packets_out;
	return false;
}

u32 tcp_slow_start(struct tcp_sock *tp, u32 acked);
void tcp_cong_avoid_ai(struct tcp_sock *tp, u32 w, u32 acked);
u32 tcp_reno_ssthresh(struct sock *sk);
void tcp_reno_cong_avoid(struct sock *sk, u32 ack, u32 acked);
u32 tcp_reno_undo_cwnd(struct sock *sk);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 15, 0)
void __tcp_send_ack(struct sock *sk, u32 rcv_nxt, u16 flags);

static inline bool tcp_ecn_mode_any(const struct tcp_sock *tp)
{
	return tp->ecn_flags & TCP_ECN_MODE_ANY;
}
#else
void __tcp_send_ack(struct sock *sk, u32 rcv_nxt);
#endif
/*
 * A data segment leaves: the core raises CA_EVENT_TX_START when nothing
 * is in flight (tcp_event_data_sent()), delivered as the running kernel
 * would.  Returns true if it raised it.
 */
bool kstub_tx_start(struct sock *sk);
/*
 * An ACK with an RTT sample, as tcp_clean_rtx_queue() reports it: the
 * windowed minimum takes the sample first (never expiring here: tests
 * expire it by setting tp->rtt_min), then pkts_acked gets @rtt_us and
 * the bytes of @inflight segments delivered while the sampled one was out
 */
void kstub_pkts_acked(struct sock *sk, u32 pkts, s32 rtt_us, u32 inflight);
/* the core's congestion responses, in the order 6.1 calls the module */
void kstub_enter_cwr(struct sock *sk);		/* ECE: tcp_enter_cwr() */
void kstub_enter_recovery(struct sock *sk);	/* tcp_enter_recovery() */
void kstub_enter_loss(struct sock *sk);		/* RTO: tcp_enter_loss() */
void kstub_set_ca_state(struct sock *sk, u8 ca_state);
void INET_ECN_dontxmit(struct sock *sk);
int tcp_register_congestion_control(struct tcp_congestion_ops *ca);
void tcp_unregister_congestion_control(struct tcp_congestion_ops *ca);

/* what the stand-ins recorded */
struct kstub_ack {
	u32 rcv_nxt;		/* __tcp_send_ack's rcv_nxt */
	bool ece;		/* TCP_ECN_DEMAND_CWR when it was sent */
	u16 flags;		/* extra header flags asked for (6.15+) */
};

extern struct kstub_ack kstub_acks[64];
extern unsigned int kstub_nr_acks;
extern struct tcp_congestion_ops *kstub_registered;

const struct kernel_param *kstub_param(const char *name);
/* a parameter's range as its description states it: "(range A-B, ..."
 * where A and B are numbers or other parameters' names (their values
 * now); 0 on success
 */
int kstub_param_range(const struct kernel_param *kp, unsigned int *min,
		      unsigned int *max);
unsigned int *kstub_param_value(const struct kernel_param *kp);
const char *kstub_param_desc(const char *name);
unsigned int kstub_nr_params(void);
const struct kernel_param *kstub_param_at(unsigned int i);
struct tcp_sock *kstub_sock(void);

/* trace events become calls of test_trace_<event>() */
#define TP_PROTO(args...)	args
#define TP_ARGS(args...)	args
#define TRACE_EVENT(name, proto, args, tstruct, assign, print)	\
	void test_trace_##name(proto);				\
	static inline void trace_##name(proto)			\
	{ test_trace_##name(args); }

#endif /* KSTUB_H */
