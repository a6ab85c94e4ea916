"""The papers' claims measured on a plan's runs, with verdicts from paired
bootstrap intervals.

Every comparison pairs repetitions: repetition r of every control ran
with the same seed and start jitter (and, across two run directories of
one plan, the same r), so a ratio's interval resamples repetition indices,
the same ones on both sides (stats.paired_ci).  A verdict follows from
the 95 % interval alone:

- reproduced: the interval lies on the paper's side of 1, beyond MARGIN,
  and holds the paper's own ratio where the paper gives one (for a claim
  of equality: the interval lies inside the paper's margin);
- direction only: the interval lies on the paper's side of 1, beyond
  MARGIN, but excludes the paper's ratio (a smaller or a larger effect);
- not reproduced: the interval excludes an effect beyond MARGIN in the
  paper's direction (no effect, or the opposite one; for equality: the
  interval lies outside the margin);
- inconclusive: the interval allows both, or fewer than MIN_PAIRS
  repetitions pair up.

Margins are symmetric: the same MARGIN decides "an effect" and "no effect"
on either side of 1, in the claims, the aims and the collapse.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dctestbed import analysis, stats

LEVEL = 0.95
MIN_PAIRS = 3       # fewer repetitions give no interval worth a verdict
MARGIN = 0.02       # a ratio within 2 % of 1 is no effect
REPRODUCED, DIRECTION, NOT, INCONCLUSIVE = ("reproduced", "direction only", "not reproduced",
                                            "inconclusive")
VERDICTS = (REPRODUCED, DIRECTION, INCONCLUSIVE, NOT, "invalid", "not run")


# ---------------------------------------------------------------- metrics

@dataclass(frozen=True)
class Metric:
    """What one repetition contributes: values(rep) is a list of samples
    (q: the percentile of the pooled samples is compared) or of one number
    (q None: the mean over repetitions is compared)."""
    name: str
    unit: str
    values: Callable
    q: float | None = None


def _one(v):
    return [] if v is None or (isinstance(v, float) and math.isnan(v)) else [float(v)]


def completions(kind, q, size=None, max_bytes=None, name=None):
    """Completion times (ms) of kind: the q-th percentile, or with q None
    the mean of each repetition; size: one size label only; max_bytes:
    transfers up to that size only."""
    def values(rep):
        xs = [f / 1000 for f in rep.completions(kind, size, max_bytes)]
        if q is None:
            return [sum(xs) / len(xs)] if xs else []
        return xs
    label = name or (f"p{q:g} {kind}" if q is not None else f"mean {kind}")
    return Metric(label, "ms", values, q)


def _goodput(rep):
    return _one(rep.goodput_mbit())


def _queue(rep):
    return _one(rep.queue_mean())


def _long_tput(rep):
    flows = rep.flow_mbit()
    return _one(sum(sum(v) / len(v) for v in flows.values()) if flows else None)


def _timeouts(rep):
    return _one(rep.counter("TcpExtTCPTimeouts"))


def _rtt_mean(rep):
    s = rep.srtt_us()
    return _one(float(np.mean(s)) / 1000 if len(s) else None)


def _rtt_all(rep):
    return [float(x) / 1000 for x in rep.srtt_us()]


def median_completion_ms(kind):
    """A repetition's median completion of kind (ms), or None: one number
    per repetition, for paired comparisons of two arms (overhead.py,
    hostload.py)."""
    def f(rep):
        xs = rep.completions(kind)
        return stats.percentile(xs, 50) / 1000 if xs else None
    return f


def goodput(rep):
    return rep.goodput_mbit()


GOODPUT = Metric("goodput", "Mbit/s", _goodput)
QUEUE = Metric("mean queue", "pkts", _queue)
LONG_TPUT = Metric("long-flow throughput", "Mbit/s", _long_tput)
TIMEOUTS = Metric("timeouts per run", "", _timeouts)
RTT_MEAN = Metric("mean RTT", "ms", _rtt_mean)
RTT_P99 = Metric("p99 RTT", "ms", _rtt_all, 99)


# ---------------------------------------------------------------- runs

class Run:
    """One run directory, read once by analysis.load()."""

    def __init__(self, path):
        self.path = Path(path)
        self.data = analysis.load(self.path)
        self.params = self.data["params"]

    @property
    def groups(self):
        return [str(g) for g in self.params["groups"]]

    def arm(self, cc, group, metric):
        """{repetition: metric's values} of (cc, group)."""
        return {rep.rep: metric.values(rep)
                for rep in analysis.repetitions(self.data, cc, str(group))}

    def per_rep(self, cc, group, f):
        """[f(repetition)] of (cc, group) by repetition, leaving out None."""
        values = (f(rep) for rep in analysis.repetitions(self.data, cc, str(group)))
        return [v for v in values if v is not None]

    def cases(self, cc):
        """{tdctcp case: decisions} of cc summed over its groups and repetitions."""
        total = dict.fromkeys(range(1, 9), 0)
        for g in self.groups:
            for rep in analysis.repetitions(self.data, cc, g):
                for c, n in rep.cases().items():
                    total[c] += n
        return total

    def valid(self):
        """None if the run measured what it was shaped to, else why not."""
        p = self.params
        if p.get("interrupted"):
            return f"interrupted: {p['interrupted']}"
        if p.get("invalid"):
            return p["invalid"]
        if p.get("carried_fraction") is not None:
            return None                 # the runner checked it against --carried-fraction
        cap, rate = p.get("capacity_mbit"), p.get("rate_mbit")
        safe = p.get("options", {}).get("safe_fraction", 0.15)
        if cap is None or rate is None:
            return "no capacity check recorded"
        if rate > cap * safe:
            return f"rate {rate:g} Mbit/s above {safe:.0%} of the measured {cap:g} Mbit/s"
        return None


# ---------------------------------------------------------------- intervals

class CI(tuple):
    """(value, low, high) and n, the number of repetitions behind it."""

    def __new__(cls, values, n):
        ci = super().__new__(cls, values)
        ci.n = n
        return ci


def paired(arms, combine=np.divide, q=None):
    """CI of combine over arms ({rep: values} each, paired by repetition
    number), or None with fewer than two common repetitions."""
    reps = [r for r in sorted(set.intersection(*(set(a) for a in arms)))
            if all(len(a[r]) for a in arms)]
    ci = stats.paired_ci([[a[r] for r in reps] for a in arms], combine, q, LEVEL)
    return CI(ci, len(reps)) if ci else None


def too_few(ci):
    return getattr(ci, "n", MIN_PAIRS) < MIN_PAIRS


def estimate(arm, q=None):
    """(value, low, high) of one arm's statistic over its repetitions."""
    return paired([arm], lambda a: a, q)


def reps_of(*arms):
    return len(set.intersection(*(set(a) for a in arms)))


def fmt(x):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def fmt_ci(ci, unit=""):
    """'v unit [low–high]', or 'no data'."""
    if ci is None:
        return "no data"
    v, lo, hi = ci
    return f"{fmt(v)}{' ' + unit if unit else ''} [{fmt(lo)}–{fmt(hi)}]"


def fmt_ratio(ci):
    return "-" if ci is None else f"{ci[0]:.2f} [{ci[1]:.2f}–{ci[2]:.2f}]"


def direction(ci, paper_lower, margin=None, size=None):
    """The verdict of a ratio interval against a paper that says the ratio
    is below 1 (paper_lower) or above 1, and, with size, that it is size.
    A difference smaller than margin (default MARGIN) counts as none:
    virtual-time repetitions can agree so closely that a 0.1 % difference
    has a tight interval."""
    if ci is None:
        return "not run"
    if too_few(ci):
        return INCONCLUSIVE
    m = MARGIN if margin is None else margin
    _, lo, hi = ci
    if paper_lower:
        verdict = REPRODUCED if hi < 1 - m else NOT if lo >= 1 - m else INCONCLUSIVE
    else:
        verdict = REPRODUCED if lo > 1 + m else NOT if hi <= 1 + m else INCONCLUSIVE
    if verdict == REPRODUCED and size is not None and not lo <= size <= hi:
        return DIRECTION
    return verdict


def within(ci, margin):
    """The verdict of a ratio interval against a paper that says 'equal
    within margin' (0.05: the ratio lies in [0.95, 1.05])."""
    if ci is None:
        return "not run"
    if too_few(ci):
        return INCONCLUSIVE
    _, lo, hi = ci
    if 1 - margin <= lo and hi <= 1 + margin:
        return REPRODUCED
    if hi < 1 - margin or lo > 1 + margin:
        return NOT
    return INCONCLUSIVE


def all_of(verdicts):
    """Reproduced when every part is, not reproduced when any part is not,
    direction only when every part is one of the two and one is that."""
    if any(v == NOT for v in verdicts):
        return NOT
    if verdicts and all(v == REPRODUCED for v in verdicts):
        return REPRODUCED
    if verdicts and all(v in (REPRODUCED, DIRECTION) for v in verdicts):
        return DIRECTION
    if any(v in ("not run", "invalid") for v in verdicts):
        return "not run"
    return INCONCLUSIVE


def precision(ci, paper_ratio):
    """Whether the interval is narrower than the paper's effect |r - 1|."""
    if ci is None or paper_ratio is None:
        return ""
    width, effect = ci[2] - ci[1], abs(paper_ratio - 1)
    return (f"interval width {width:.2f} {'<' if width < effect else '≥'} the paper's effect "
            f"{effect:.2f}")


# ---------------------------------------------------------------- the claims

@dataclass
class Row:
    claim: str
    paper: str
    ours: str
    ratio: str
    verdict: str
    why: str

    def cells(self):
        return [self.claim, self.paper, self.ours, self.ratio, self.verdict, self.why]


def _ratio_text(ci):
    return fmt_ratio(ci) if ci else "-"


class Claims:
    """The rows of the claims table from runs {name: Run} of one plan;
    missing {name: why} for the plan's runs that are absent or invalid."""

    def __init__(self, runs, missing):
        self.runs, self.missing, self.rows = runs, missing, []

    def add(self, claim, seed, ours, ci, verdict, why, paper_ratio=None):
        note = (f"{ci.n} repetitions: too few for a verdict" if too_few(ci)
                else precision(ci, paper_ratio))
        self.rows.append(Row(claim, seed, ours, _ratio_text(ci), verdict,
                             "; ".join(x for x in (why, note) if x)))

    def absent(self, names, claim, seed):
        why = next((self.missing.get(n, "not run") for n in names if n not in self.runs), "not run")
        self.rows.append(Row(claim, seed, "-", "-",
                             "invalid" if why.startswith(("invalid", "interrupted")) or
                             "above" in why else "not run", why))

    def need(self, names, claim, seed):
        if all(n in self.runs for n in names):
            return True
        self.absent(names, claim, seed)
        return False

    def versus(self, run, a, b, group, metric):
        """(interval of a / b, cell text) for metric in one run's group."""
        x, y = run.arm(a, group, metric), run.arm(b, group, metric)
        ci = paired([x, y], q=metric.q)
        text = (f"{a} {fmt_ci(estimate(x, metric.q), metric.unit)}, "
                f"{b} {fmt_ci(estimate(y, metric.q), metric.unit)} (n={reps_of(x, y)})")
        return ci, text

    # ---- DCTCP
    def basic(self):
        claim_t = "DCTCP throughput equals TCP's, two long flows (K = 20)"
        claim_q = "Queue: DCTCP near K, TCP's many times larger"
        seed_t, seed_q = "0.95 of 1 Gbit/s for both (ratio 1.00)", "DCTCP ~20 pkts, TCP ~10× more"
        if not self.need(["basic"], claim_t, seed_t):
            self.absent(["basic"], claim_q, seed_q)
            return
        run = self.runs["basic"]
        g = run.groups[0]
        ci, text = self.versus(run, "dctcp", "reno", g, GOODPUT)
        self.add(claim_t, seed_t, text, ci, within(ci, 0.05), "equal within 5 %")
        ci, text = self.versus(run, "dctcp", "reno", g, QUEUE)
        k = run.params.get("k_pkts")
        d = estimate(run.arm("dctcp", g, QUEUE))
        near = d is not None and k and d[2] <= 2 * k
        self.add(claim_q, seed_q, text, ci, all_of([direction(ci, True), REPRODUCED if near else NOT]),
                 f"ratio dctcp/reno of the mean queue; dctcp's {'is' if near else 'is not'} within 2 K; "
                 f"a {run.params.get('buffer_pkts')}-packet buffer caps TCP's queue", 0.1)

    def incast(self, name="incast-rto10", rate="1 Gbit/s"):
        claim = f"Incast p95 query completion, DCTCP vs TCP, RTO_min 10 ms ({rate})"
        seed = "DCTCP's query completion stays low as N grows (to ~35 senders); TCP's rises"
        if not self.need([name], claim, seed):
            return
        run = self.runs[name]
        if "reno" not in run.params["ccs"]:
            return
        for n in run.groups:
            ci, text = self.versus(run, "dctcp", "reno", n, completions("query", 95))
            to = [estimate(run.arm(cc, n, TIMEOUTS)) for cc in ("dctcp", "reno")]
            self.add(f"{claim}, N = {n}", seed,
                     text + f"; timeouts per run {fmt(to[0] and to[0][0])} vs {fmt(to[1] and to[1][0])}",
                     ci, direction(ci, True), "ratio dctcp/reno of the p95")

    def rto(self):
        claim = "Incast with the default 200 ms RTO_min against 10 ms"
        seed = "timeouts cost 200 ms each: TCP's query completion inflates, DCTCP's much less"
        if not self.need(["incast-rto200", "incast-rto10"], claim, seed):
            return
        slow, fast = self.runs["incast-rto200"], self.runs["incast-rto10"]
        common = [n for n in slow.groups if n in fast.groups]
        if not common:
            self.absent(["none"], claim, seed)
            return
        m = completions("query", 95)
        for n in common:
            arms = {cc: (fast.arm(cc, n, m), slow.arm(cc, n, m)) for cc in ("reno", "dctcp")}
            growth = {cc: paired([s, f], q=95) for cc, (f, s) in arms.items()}
            ci = paired([arms["reno"][1], arms["reno"][0], arms["dctcp"][1], arms["dctcp"][0]],
                        lambda rs, rf, ds, df: (rs / rf) / (ds / df), 95)
            self.add(f"{claim}, N = {n}", seed, f"p95 with 200 ms over p95 with 10 ms: reno "
                     f"{fmt_ratio(growth['reno'])}×, dctcp {fmt_ratio(growth['dctcp'])}×",
                     ci, direction(ci, False), "ratio: reno's growth over dctcp's")

    def background(self):
        claim = "Query p95 with and without background traffic (Table 2)"
        seed = "TCP 9.87 → 46.94 ms (4.8×); DCTCP 9.17 → 9.09 ms (0.99×)"
        if not self.need(["incast-background", "incast-rto10"], claim, seed):
            return
        bg, base = self.runs["incast-background"], self.runs["incast-rto10"]
        n = bg.groups[0]
        m = completions("query", 95)
        arms = {cc: (base.arm(cc, n, m), bg.arm(cc, n, m)) for cc in ("reno", "dctcp")}
        growth = {cc: paired([b, a], q=95) for cc, (a, b) in arms.items()}
        ci = paired([arms["reno"][1], arms["reno"][0], arms["dctcp"][1], arms["dctcp"][0]],
                    lambda rb, ra, db, da: (rb / ra) / (db / da), 95)
        self.add(claim, seed, f"N = {n}, two long flows into the aggregator's port: p95 with over "
                 f"without: reno {fmt_ratio(growth['reno'])}×, dctcp {fmt_ratio(growth['dctcp'])}×",
                 ci, direction(ci, False, size=4.8 / 0.99),
                 "ratio: reno's growth over dctcp's; background on the same port (the ports' "
                 "buffers are separate: the shared-buffer case is not emulated)", 4.8 / 0.99)

    def queue_buildup(self):
        claim = "Queue buildup: 20 KB transfers next to two long flows"
        seed = "DCTCP's completion times a fraction of TCP's (Figure 21)"
        if not self.need(["queue-buildup"], claim, seed):
            return
        ci, text = self.versus(self.runs["queue-buildup"], "dctcp", "reno", "",
                               completions("short", 95))
        self.add(claim, seed, text, ci, direction(ci, True), "ratio dctcp/reno of the p95")

    # ---- xDCTCP
    def xdctcp(self):
        claim_d = "xDCTCP: mean short-flow delay vs DCTCP"
        claim_t = "xDCTCP: long-flow throughput vs DCTCP"
        seed_d, seed_t = "6.646 % lower (ratio 0.934)", "within 0.02 %"
        if not self.need(["queue-buildup"], claim_d, seed_d):
            self.absent(["queue-buildup"], claim_t, seed_t)
            return
        run = self.runs["queue-buildup"]
        ci, text = self.versus(run, "xdctcp", "dctcp", "", completions("short", None))
        self.add(claim_d, seed_d, text, ci, direction(ci, True, size=0.934),
                 "ratio xdctcp/dctcp of the mean", 0.934)
        ci, text = self.versus(run, "xdctcp", "dctcp", "", LONG_TPUT)
        self.add(claim_t, seed_t, text, ci, within(ci, 0.02), "equal within 2 %")

    def grid(self, points, poster):
        claim, seed = "xDCTCP optimum of the (g, ns, nl) grid", "g = 0.09, ns = 0.3, nl = 1.0"
        if not self.need(["xdctcp-grid"], claim, seed):
            return
        run = self.runs["xdctcp-grid"]
        m = completions("short", None)
        base = run.arm("dctcp", "", LONG_TPUT)
        eligible = [p for p in points
                    if (t := paired([run.arm(p, "", LONG_TPUT), base])) and t[0] >= 0.98]
        if poster not in eligible:
            self.add(claim, seed, "the poster's point lost more than 2 % of dctcp's throughput",
                     None, NOT, "")
            return
        better, worse, flat = [], [], []
        for p in eligible:
            if p == poster:
                continue
            ci = paired([run.arm(p, "", m), run.arm(poster, "", m)])
            if ci is None or too_few(ci):
                continue
            if ci[2] < 1 - MARGIN:
                better.append(grid_name(p))
            elif ci[1] > 1 + MARGIN:
                worse.append(p)
            elif ci[1] >= 1 - MARGIN and ci[2] <= 1 + MARGIN:
                flat.append(p)
        others = len(eligible) - 1
        verdict = (NOT if better or (others and len(flat) == others) else
                   REPRODUCED if others and len(worse) == others else INCONCLUSIVE)
        self.add(claim, seed, f"{len(eligible)} of {len(points)} points keep dctcp's throughput "
                 f"within 2 %; of the other {others}, the poster's point has a lower mean 20 KB "
                 f"completion than {len(worse)}, the same within {MARGIN:.0%} as {len(flat)}"
                 + (f"; lower than the poster's: {', '.join(better)}" if better else ""), None, verdict,
                 "paired ratios of the mean 20 KB completion against the poster's point; "
                 "the grid table below")

    # ---- T-DCTCP
    def fattree(self):
        name = "fattree"
        size_claims = (("2KB", "1.4× lower (0.71)", 0.71), ("50KB", "31 % lower (0.69)", 0.69),
                       ("1MB", "48.2 % lower (0.52)", 0.52), ("10MB", "8.6 % higher (1.09)", 1.09))
        rows = [("T-DCTCP throughput vs DCTCP (fat-tree, 15-to-1 incast)",
                 "77.99 vs 79.44 Mbit/s (0.98)", LONG_TPUT, lambda ci: within(ci, 0.05), 0.98),
                ("T-DCTCP mean RTT vs DCTCP", "331 vs 362 ms (0.91)", RTT_MEAN,
                 lambda ci: direction(ci, True, size=0.91), 0.91),
                ("T-DCTCP 99th-percentile RTT vs DCTCP", "846 vs 1164 ms (0.73)", RTT_P99,
                 lambda ci: direction(ci, True, size=0.73), 0.73)]
        for size, seed, r in size_claims:
            rows.append((f"T-DCTCP mean completion of {size} flows vs DCTCP", seed,
                         completions("probe", None, size=size),
                         (lambda ci, r=r: direction(ci, r < 1, size=r)), r))
        if name not in self.runs:
            for claim, seed, *_ in rows:
                self.absent([name], claim, seed)
            return
        run = self.runs[name]
        for claim, seed, metric, judge, r in rows:
            ci, text = self.versus(run, "tdctcp", "dctcp", "", metric)
            self.add(claim, seed, text, ci, judge(ci), "ratio tdctcp/dctcp"
                     + ("; RTT: srtt of every ACK from tcp_probe" if "RTT" in claim else ""), r)

    def trends(self, trends, default):
        name = "tdctcp-trends"
        expect = {"alpha_factor": "throughput rises with alpha_factor up to 1/8",
                  "t_low_us": "throughput rises with T_low up to 5000 µs, then drops",
                  "t_high_us": "throughput stops growing beyond T_high = 50000 µs"}
        for p, values in trends.items():
            claim = f"T-DCTCP trend of {p} (Figures 3-3 to 3-5)"
            if not self.need([name], claim, expect[p]):
                continue
            run = self.runs[name]
            n = run.groups[0]
            arm = {v: run.arm(f"tdctcp:{p}={v}", n, GOODPUT) for v in values}
            dv, lo, hi = default[p], values[0], values[-1]
            up = paired([arm[dv], arm[lo]])
            parts = [direction(up, False)]
            if p == "t_low_us":
                parts.append(direction(paired([arm[dv], arm[hi]]), False))
            elif p == "t_high_us":
                flat = paired([arm[hi], arm[dv]])
                parts.append(within(flat, 0.02))
            text = "<br>".join(f"{v}: {fmt_ci(estimate(arm[v]), 'Mbit/s')}" for v in values)
            self.add(claim, expect[p], f"goodput, incast N = {n}:<br>{text}", up, all_of(parts),
                     f"ratio: goodput at the default {dv} over {lo}"
                     + ("; and over 20000" if p == "t_low_us" else "")
                     + ("; 200000 within 2 % of the default" if p == "t_high_us" else ""))


def grid_name(label):
    p = dict(item.split("=") for item in label.split(":")[1:])
    return f"g = {int(p['g']) / 1024:.3f}, ns = {int(p['ns']) / 1024:.2f}, nl = {int(p['nl']) / 1024:.2f}"


# ---------------------------------------------------------------- incast at scale

SHORT_BYTES = 20_000        # the queue-buildup experiment's short transfers


def ideal_ms_of(params, nbytes):
    """The ideal completion (ms) of nbytes: at the shaped rate plus the base RTT."""
    return analysis.ideal_us(params, nbytes) / 1000


def ideal_query_ms(params):
    return ideal_ms_of(params, params["response_bytes"])


def sweep(run):
    """Per control, per N of an incast run: p50 and p99 query completion
    with intervals, over the ideal, and timeouts per query; the knee (the
    first N whose p99 interval lies above twice the ideal) and the collapse
    (the first N whose tail waits for a retransmission timeout: the p99
    interval at or above the minimum RTO), each with the first N whose
    interval reaches the bound without lying beyond it (undecided: None
    when the bound is never reached)."""
    p = run.params
    ideal = ideal_query_ms(p)
    rto_ms = p.get("rto_min_ms") or 200
    out = {}
    for cc in p["ccs"]:
        rows, knee, collapse, knee_maybe, collapse_maybe = [], None, None, None, None
        for n in run.groups:
            qs = run.arm(cc, n, completions("query", 50))
            p50, p99 = estimate(qs, 50), estimate(qs, 99)
            to = estimate(run.arm(cc, n, TIMEOUTS))
            queries = p.get("options", {}).get("queries") or 1
            rows.append((n, p50, p99, to[0] / queries if to else None))
            if p99 and knee is None and p99[1] > 2 * ideal:
                knee = n
            if p99 and knee_maybe is None and p99[2] > 2 * ideal:
                knee_maybe = n
            if p99 and collapse is None and p99[1] >= rto_ms:
                collapse = n
            if p99 and collapse_maybe is None and p99[2] >= rto_ms:
                collapse_maybe = n
        out[cc] = {"rows": rows, "knee": knee, "collapse": collapse,
                   "knee_maybe": knee_maybe, "collapse_maybe": collapse_maybe}
    return out, ideal, rto_ms


def onset(t, what, last):
    """'N = n'; where an interval reaches the bound before one lies beyond
    it, 'undecided at N = m' and the first sure N; 'none up to N = last'
    only where no interval reaches it."""
    first, maybe = t[what], t[f"{what}_maybe"]
    if first and maybe == first:
        return f"N = {first}"
    if maybe:
        return f"undecided at N = {maybe}; " + (f"N = {first}" if first else
                                                 f"none sure up to N = {last}")
    return f"none up to N = {last}"


def sweep_table(run):
    table, ideal, rto_ms = sweep(run)
    lines = ["| control | N | p50 query ms [95 % CI] | p99 query ms [95 % CI] | p50 / ideal | "
             "timeouts per query |", "|---|---|---|---|---|---|"]
    for cc, t in table.items():
        for n, p50, p99, to in t["rows"]:
            lines.append(f"| {cc} | {n} | {fmt_ci(p50)} | {fmt_ci(p99)} | "
                         f"{fmt(p50[0] / ideal) if p50 else '-'} | {fmt(to)} |")
    knees = ["| control | knee (p99 > 2× ideal) | collapse (p99 ≥ RTO_min) |", "|---|---|---|"]
    for cc, t in table.items():
        knees.append(f"| {cc} | {onset(t, 'knee', run.groups[-1])} | "
                     f"{onset(t, 'collapse', run.groups[-1])} |")
    return knees + [""] + lines, ideal, rto_ms


# ---------------------------------------------------------------- the new controls' aim

AIM_RATIO, AIM_TPUT = 0.8, 0.02
AT_LIMIT, FAR = 1.1, 1.5        # dctcp's p99 over the ideal: at the limit / far from it


def aim_verdict(ci, far):
    """Far from ideal: met when the whole interval lies at or below
    AIM_RATIO (within MARGIN), not met when it lies above.  At the limit:
    met when the whole interval lies at or below 1 (within MARGIN: a
    difference of a fraction of a percent is none), not met (worse) when
    it lies above.  Inconclusive in between, on both sides alike."""
    if ci is None:
        return "no data"
    if too_few(ci):
        return "inconclusive"
    _, lo, hi = ci
    bound = (AIM_RATIO if far else 1) + MARGIN
    if hi <= bound:
        return "met"
    if lo > bound:
        return "not met" if far else "not met (worse)"
    return "inconclusive"


def aims(runs, challengers):
    """[(point, variant, dctcp p99 / ideal, p99 ratio CI, throughput ratio CI, verdict)]
    where dctcp is at the limit or far from it."""
    out = []
    for name in ("incast-rto10", "aim-incast"):
        inc = runs.get(name)
        if not inc:
            continue
        ideal = ideal_query_ms(inc.params)
        m = completions("query", 99)
        for n in inc.groups:
            ref = inc.arm("dctcp", n, m)
            d = estimate(ref, 99)
            if d is None:
                continue
            level = d[0] / ideal
            far = level > FAR
            if not far and level > AT_LIMIT:
                continue
            for cc in challengers:
                if cc not in inc.params["ccs"]:
                    continue
                ci = paired([inc.arm(cc, n, m), ref], q=99)
                t = paired([inc.arm(cc, n, GOODPUT), inc.arm("dctcp", n, GOODPUT)])
                out.append((f"{name} N = {n}", cc, level, ci, t, aim_verdict(ci, far)))
    # (run, kind, what, only transfers up to, the size whose ideal is the reference)
    for name, kind, label, max_bytes, ideal_of in (
            ("queue-buildup", "short", "20 KB transfers", None, SHORT_BYTES),
            ("aim-queue-buildup", "short", "20 KB transfers", None, SHORT_BYTES),
            ("fattree", "web", "web flows ≤ 100 KB", 100_000, None),
            ("fattree", "query", "fat-tree queries", None, "response_bytes")):
        run = runs.get(name)
        if not run:
            continue
        m = completions(kind, 99, max_bytes=max_bytes)
        ref = run.arm("dctcp", "", m)
        d = estimate(ref, 99)
        if d is None:
            continue
        nbytes = run.params.get(ideal_of) if isinstance(ideal_of, str) else ideal_of
        level = d[0] / ideal_ms_of(run.params, nbytes) if nbytes else float("nan")
        for cc in challengers:
            if cc not in run.params["ccs"]:
                continue
            ci = paired([run.arm(cc, "", m), ref], q=99)
            t = paired([run.arm(cc, "", LONG_TPUT), run.arm("dctcp", "", LONG_TPUT)])
            verdict = aim_verdict(ci, True)
            if verdict == "met" and not (t and t[1] >= 1 - AIM_TPUT and t[2] <= 1 + AIM_TPUT):
                verdict = ("not met (throughput)" if t and t[2] < 1 - AIM_TPUT
                           else "inconclusive (throughput)")
            out.append((f"{name}: {label}", cc, level, ci, t, verdict))
    return out


def aim_table(rows):
    lines = ["| point | variant | dctcp p99 / ideal | p99 ratio vs dctcp [95 % CI] | "
             "throughput ratio [95 % CI] | aim |", "|---|---|---|---|---|---|"]
    for point, cc, level, ci, t, verdict in rows:
        lines.append(f"| {point} | `{cc}` | {fmt(level)} | {fmt_ratio(ci)} | {fmt_ratio(t)} | {verdict} |")
    return lines


def aim_summary(rows, challengers):
    """One plain sentence per variant: where it beats dctcp, where it loses."""
    out = []
    for cc in challengers:
        mine = [r for r in rows if r[1] == cc]
        if not mine:
            continue
        far = [r for r in mine if r[2] > FAR or not math.isfinite(r[2])]
        met = [r[0] for r in far if r[5] == "met"]
        lost = [r[0] for r in mine if r[5].startswith("not met (worse)") or
                (r[3] and r[3][1] > 1 + MARGIN)]
        text = (f"- `{cc}`: beats dctcp's p99 by the aim (≤ {AIM_RATIO}×, equal throughput) at "
                f"{', '.join(met) if met else 'none of the points'}")
        text += f"; significantly worse than dctcp at {', '.join(lost)}." if lost else \
            "; never significantly worse than dctcp."
        out.append(text)
    return out
