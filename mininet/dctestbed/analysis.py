"""Read a run directory and summarise it: the numbers every report is made of.

A run directory D holds params.json and raw/*.csv as written by the
experiment runner (completions, queue, probe, counters, runs and,
optionally, flows and cases).  load() reads every CSV once, streaming,
and aggregates it per (cc, group) with the repetition of each value kept,
so that the per-repetition figures (repetition()) and the summaries with
their bootstrap intervals (summarize()) come from the same data.  Missing
files are tolerated (their keys are left out), malformed rows (e.g. a
truncated last line of an interrupted run) are skipped and counted, and
rows whose (cc, group) is not in params.json are ignored.  Rendering
(Markdown, plots) is elsewhere: report.py and plots.py.
"""

import csv
import gzip
import json
import math
from array import array
from collections import defaultdict
from pathlib import Path

import numpy as np

from dctestbed import stats, workload

REQUIRED_PARAMS = ("experiment", "ccs", "groups")
# completion kinds, the main one first present: queries (incast; "cold" is
# the first query of each run, on connections that have carried nothing
# yet), short request/responses, and the fat-tree's probe and web flows
KINDS = ("query", "short", "probe", "web", "cold")
# web-search flows by size: the short ones (up to 100 KB), the middle, the long
WEB_BINS = (("≤100KB", 100e3), ("100KB–10MB", 10e6), (">10MB", math.inf))
COUNTERS = (("timeouts", "TcpExtTCPTimeouts"), ("retrans", "TcpRetransSegs"), ("ce_marks", "IpExtInCEPkts"))


# ---------------------------------------------------------------- reading

def read_params(run_dir):
    """params.json of run_dir; FileNotFoundError if there is none, ValueError
    if it lacks experiment, ccs or groups."""
    path = Path(run_dir) / "params.json"
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir}: no params.json here, so it is not a run directory")
    params = json.loads(path.read_text())
    missing = [k for k in REQUIRED_PARAMS if k not in params]
    if missing:
        raise ValueError(f"{path}: missing {', '.join(missing)}")
    return params


def size_label(size_bytes):
    """A flow size as the report names it: 2KB, 50KB, 1MB, 10MB, 1500B."""
    for unit, scale in (("MB", 1e6), ("KB", 1e3)):
        if size_bytes >= scale and size_bytes % scale == 0:
            return f"{size_bytes // scale:.0f}{unit}"
    return f"{size_bytes}B"


def web_bin(size_bytes):
    """The WEB_BINS label of a web-search flow's size."""
    return next(label for label, top in WEB_BINS if size_bytes <= top)


def completion_kind(params, row, first_queries):
    """The kind a completions.csv row is counted as.  The first query of
    each run is "cold" (first_queries: the (cc, group, rep) already seen).
    Fat-tree runs that labelled probe and web flows both "flow" are split
    by size (workload.FATTREE_PROBE_SIZES)."""
    kind = row["kind"]
    if kind == "query":
        run = (row["cc"], row["group"], row["rep"])
        if run not in first_queries:
            first_queries.add(run)
            return "cold"
    elif kind == "flow" and params.get("experiment") == "fattree":
        size = int(float(row["size_bytes"]))
        return "probe" if size in workload.FATTREE_PROBE_SIZES else "web"
    return kind


def _new_acc():
    """Aggregates of one (cc, group) over all its repetitions."""
    return {
        "fct": defaultdict(lambda: ([], [], [])),   # kind -> (reps, sizes, fct_us)
        "counters": {},                             # rep -> name -> value
        "runs": {},                                 # rep -> (goodput, drops, marks)
        "queue_hz": {},                             # rep -> queue samples per second
        "probe_lost": None,                         # tcp_probe events lost, once recorded
        "queue": array("d"),                        # qlen samples, packets
        "queue_w": array("d"),                      # ... each held until the next, s
        "queue_rep": array("l"),                    # ... and its repetition
        "queue_last": None,                         # (rep, t_s) of the last sample
        "srtt": array("d"),                         # tcp_probe srtt samples, us
        "srtt_rep": array("l"),
        "flows": defaultdict(list),                 # (rep, flow) -> [(t_s, interval Mbit/s)]
        "cases": {},                                # rep -> tdctcp case 1..8 -> decisions
    }


def _series_slot(store, key, rep, make):
    """The plot series of key if rep is the lowest repetition seen so far
    (restarting it when a lower one turns up), else None."""
    cur = store.get(key)
    if cur is None or rep < cur[0]:
        cur = store[key] = [rep, make()]
    return cur[1] if rep == cur[0] else None


def _two_arrays():
    return array("d"), array("d")


def _add_flow_point(store, key, rep, flow, t, value):
    """Append (t, value) to flow's plot series of key (lowest repetition only)."""
    slot = _series_slot(store, key, rep, lambda: defaultdict(_two_arrays))
    if slot is not None:
        ts, vs = slot[flow]
        ts.append(t)
        vs.append(value)


def scan(path, handle, skipped):
    """Feed each row of the CSV at path (or path.gz, as large raw files are
    committed) to handle; False if there is neither."""
    gz = path.with_name(path.name + ".gz")
    if not path.is_file() and not gz.is_file():
        return False
    opener = path.open(newline="") if path.is_file() else gzip.open(gz, "rt", newline="")
    with opener as f:
        for row in csv.DictReader(f):
            try:
                handle(row)
            except (KeyError, TypeError, ValueError):
                skipped[path.name] = skipped.get(path.name, 0) + 1
    return True


def load(run_dir):
    """Read run_dir once: {"params", "acc": {(cc, group): aggregates},
    "series": {"queue"|"cwnd"|"flows": {(cc, group): [rep, data]}}, "skipped"}."""
    run_dir = Path(run_dir)
    params = read_params(run_dir)
    keys = {(cc, str(g)) for cc in params["ccs"] for g in params["groups"]}
    acc = defaultdict(_new_acc)
    series = {"queue": {}, "cwnd": {}, "flows": {}}
    skipped = {}
    first_queries = set()

    def key_rep(row):
        key = (row["cc"], row["group"])
        return (key, int(row["rep"])) if key in keys else (None, None)

    def completion(row):
        key, rep = key_rep(row)
        if key:
            size, fct = int(float(row["size_bytes"])), float(row["fct_us"])
            reps, sizes, fcts = acc[key]["fct"][completion_kind(params, row, first_queries)]
            reps.append(rep)
            sizes.append(size)
            fcts.append(fct)

    def queue(row):
        key, rep = key_rep(row)
        if key:
            t, q = float(row["t_s"]), float(row["qlen_pkts"])
            a = acc[key]
            # a sample holds until the next one of its run: a time-weighted
            # mean is not pulled by bursts of closely spaced samples
            if a["queue_last"] and a["queue_last"][0] == rep and t >= a["queue_last"][1]:
                a["queue_w"][-1] = t - a["queue_last"][1]
            a["queue"].append(q)
            a["queue_w"].append(0.0)
            a["queue_rep"].append(rep)
            a["queue_last"] = (rep, t)
            slot = _series_slot(series["queue"], key, rep, _two_arrays)
            if slot:
                slot[0].append(t)
                slot[1].append(q)

    def probe(row):
        key, rep = key_rep(row)
        if key:
            t, cwnd, srtt = float(row["t_s"]), float(row["cwnd_pkts"]), float(row["srtt_us"])
            acc[key]["srtt"].append(srtt)
            acc[key]["srtt_rep"].append(rep)
            _add_flow_point(series["cwnd"], key, rep, row["flow"], t, cwnd)

    def counter(row):
        key, rep = key_rep(row)
        if key:
            value = float(row["value"])
            acc[key]["counters"].setdefault(rep, defaultdict(float))[row["name"]] += value

    def run(row):
        key, rep = key_rep(row)
        if key:
            acc[key]["runs"][rep] = (float(row["goodput_mbit"]), float(row["qdisc_drops"] or 0),
                                     float(row["qdisc_marks"] or 0))
            if row.get("queue_samples") and float(row["duration_s"]) > 0:
                acc[key]["queue_hz"][rep] = int(row["queue_samples"]) / float(row["duration_s"])
            if row.get("probe_lost"):       # runs with tcp_probe, since lost events are counted
                acc[key]["probe_lost"] = (acc[key]["probe_lost"] or 0) + int(row["probe_lost"])

    def flow(row):
        key, rep = key_rep(row)
        if key:
            t, mbit = float(row["t_s"]), float(row["mbit"])
            acc[key]["flows"][(rep, row["flow"])].append((t, mbit))
            _add_flow_point(series["flows"], key, rep, row["flow"], t, mbit)

    def case(row):
        key, rep = key_rep(row)
        if key:
            acc[key]["cases"].setdefault(rep, defaultdict(int))[int(row["case"])] += int(row["count"])

    cpu = defaultdict(list)

    def cpu_row(row):
        key, _ = key_rep(row)
        if key:
            cpu[row["host"]].append(float(row["busy_pct"]))

    raw = run_dir / "raw"
    for name, handle in (("completions", completion), ("queue", queue), ("probe", probe),
                         ("counters", counter), ("runs", run), ("flows", flow), ("cases", case),
                         ("cpu", cpu_row)):
        if name != "cpu" or (raw / "cpu.csv").exists() or (raw / "cpu.csv.gz").exists():
            scan(raw / f"{name}.csv", handle, skipped)
    return {"params": params, "acc": dict(acc), "series": series, "skipped": skipped,
            "cpu": dict(cpu)}


# ---------------------------------------------------------------- summarising

def _round(x, digits=3):
    """x (a number or a dict of them) rounded for JSON."""
    if isinstance(x, dict):
        return {k: _round(v, digits) for k, v in x.items()}
    return round(x, digits) if isinstance(x, float) else x


def _count(x):
    """A summed counter: an int when it is integral."""
    return int(x) if float(x).is_integer() else round(x, 3)


def _median(xs):
    return stats.percentile(xs, 50)


def ideal_us(params, size_bytes):
    """Ideal completion (us) of size_bytes, or None without rate or base RTT."""
    rate, rtt = params.get("rate_mbit"), params.get("base_rtt_us")
    if size_bytes is None or not isinstance(rate, int | float) or not isinstance(rtt, int | float):
        return None
    return stats.ideal_us(size_bytes, rate, rtt)


def _completions(params, fct):
    """{kind: summary + ideal_us + p99_by_rep} of one (cc, group)."""
    out = {}
    for kind, (reps, sizes, fcts) in fct.items():
        by_rep = defaultdict(list)
        for rep, f in zip(reps, fcts, strict=True):
            by_rep[rep].append(f)
        s = _round(stats.summary(fcts))
        ideal = None
        if kind in ("query", "cold"):
            ideal = ideal_us(params, params.get("response_bytes"))
        elif kind == "short":
            ideal = ideal_us(params, _median(sizes))
        if ideal is not None:
            s["ideal_us"] = _round(float(ideal))
        s["p99_by_rep"] = [_round(stats.percentile(by_rep[r], 99)) for r in sorted(by_rep)]
        groups = [by_rep[r] for r in sorted(by_rep)]
        for name, q in (("p50", 50), ("p90", 90), ("p99", 99)):
            ci = stats.cluster_percentile_ci(groups, q)
            if ci:
                s[f"{name}_ci"] = _round([ci[1], ci[2]])
        out[kind] = s
    return out


def by_rep(a, kind):
    """[[completion us of repetition r] for r in 0..max] of one (cc, group)'s kind."""
    reps, _, fcts = a["fct"].get(kind, ([], [], []))
    out = defaultdict(list)
    for rep, f in zip(reps, fcts, strict=True):
        out[rep].append(f)
    return out


class Repetition:
    """One repetition of one (cc, group), from its aggregates a: the
    per-run figures that paired comparisons across controls are made of."""

    def __init__(self, a, rep):
        self._a, self.rep = a, rep

    def _select(self, values, reps):
        values, reps = np.asarray(values, dtype=float), np.asarray(reps)
        return values[reps == self.rep] if len(values) else values

    def completions(self, kind, size_label_is=None, max_bytes=None):
        """Completion times (us) of kind, optionally only of one size_label()
        or only of transfers up to max_bytes."""
        reps, sizes, fcts = self._a["fct"].get(kind, ((), (), ()))
        return [f for r, s, f in zip(reps, sizes, fcts, strict=True)
                if r == self.rep and (size_label_is is None or size_label(s) == size_label_is)
                and (max_bytes is None or s <= max_bytes)]

    def queue_mean(self):
        """Time-weighted mean queue (packets), unweighted when no sample has
        a successor; None without samples."""
        qs = self._select(self._a["queue"], self._a["queue_rep"])
        if not len(qs):
            return None
        ws = self._select(self._a["queue_w"], self._a["queue_rep"])
        return float(stats.weighted_mean(qs, ws)) if ws.sum() > 0 else float(qs.mean())

    def srtt_us(self):
        return self._select(self._a["srtt"], self._a["srtt_rep"])

    def goodput_mbit(self):
        run = self._a["runs"].get(self.rep)
        return run[0] if run else None

    def queue_samples_per_s(self):
        """How often the queue monitor sampled in this run (runs.csv)."""
        return self._a["queue_hz"].get(self.rep)

    def counter(self, name):
        """A counter's value over the run; None if no counters were recorded."""
        counters = self._a["counters"].get(self.rep)
        return None if counters is None else counters.get(name, 0.0)

    def flow_mbit(self):
        """{flow: [interval throughput, Mbit/s]} of the long flows."""
        return {flow: [m for _, m in v] for (rep, flow), v in self._a["flows"].items()
                if rep == self.rep and v}

    def cases(self):
        """{tdctcp case 1..8: decisions}."""
        return dict(self._a["cases"].get(self.rep, {}))


def repetitions(data, cc, group):
    """[Repetition] of (cc, group) in load()'s data, by repetition number:
    those that wrote their runs.csv row."""
    a = data["acc"].get((cc, str(group)))
    return [Repetition(a, rep) for rep in sorted(a["runs"])] if a else []


REFERENCE_CC = "dctcp"      # what the others are compared with, where it ran


def bpf_module_of(cc):
    """The module a BPF build (bpf_tdctcp) is compared with, or None."""
    return cc.removeprefix("bpf_") if cc.startswith("bpf_") else None


def _versus(params, acc, kind, reference_of=lambda cc: REFERENCE_CC):
    """Each control against its reference (REFERENCE_CC, or reference_of(cc))
    in the same group: the ratio of p50 and p99 of kind (and of the median
    goodput), with a bootstrap interval over repetitions paired by index
    (same seed and start jitter), and what the interval allows."""
    out = {}
    for g in params["groups"]:
        for cc in params["ccs"]:
            ref = acc.get((reference_of(cc), str(g)))
            a = acc.get((cc, str(g)))
            if cc == reference_of(cc) or a is None or ref is None:
                continue
            ref_q = by_rep(ref, kind)
            mine = by_rep(a, kind)
            reps = sorted(set(ref_q) & set(mine))
            row = {"count": min(sum(len(mine[r]) for r in reps),
                                sum(len(ref_q[r]) for r in reps))}
            for name, q in (("p50", 50), ("p90", 90), ("p99", 99)):
                ci = stats.paired_percentile_ratio_ci([mine[r] for r in reps],
                                                      [ref_q[r] for r in reps], q)
                if ci:
                    row[name] = _round(list(ci), 4)
            reps = sorted(set(ref["runs"]) & set(a["runs"]))
            ci = stats.paired_cluster_ratio_ci([[a["runs"][r][0]] for r in reps],
                                               [[ref["runs"][r][0]] for r in reps], np.median)
            if ci:
                row["goodput"] = _round(list(ci), 4)
            if len(row) > 1:
                out[(cc, str(g))] = row
    return out


def verdict(ci, lower_is_better=True):
    """What a ratio interval [low, high] of mine / reference allows."""
    _, lo, hi = ci
    if hi < 1:
        return "lower" + (" (better)" if lower_is_better else " (worse)")
    if lo > 1:
        return "higher" + (" (worse)" if lower_is_better else " (better)")
    return "inconclusive"


def _by(label_of, sizes, fcts, order, params=None):
    """{label: summary (+ ideal_us of the label's size)} of completions,
    grouped by label_of(size), labels in order."""
    groups, size_of = defaultdict(list), {}
    for size, f in zip(sizes, fcts, strict=True):
        groups[label_of(size)].append(f)
        size_of[label_of(size)] = size
    out = {}
    for label in order:
        if label in groups:
            out[label] = _round(stats.summary(groups[label]))
            ideal = ideal_us(params, size_of[label]) if params else None
            if ideal is not None:
                out[label]["ideal_us"] = _round(float(ideal))
    return out


def _fct_by_size(params, sizes, fcts):
    """{size label: summary + ideal_us} of probe flows, one entry per size."""
    order = [size_label(s) for s in sorted(set(sizes))]
    return _by(size_label, sizes, fcts, order, params)


def _web_by_size(sizes, fcts):
    """{WEB_BINS label: summary} of web-search flows."""
    return _by(web_bin, sizes, fcts, [label for label, _ in WEB_BINS])


def _common_window(series):
    """The times at which every flow of a rep was running: from the last
    flow's first interval to the first flow's last (flows that join and
    leave, as in the convergence experiment)."""
    start = max(min(t for t, _ in v) for v in series)
    end = min(max(t for t, _ in v) for v in series)
    return start, end


def _long_flows(flows):
    """long_flow_mbit (median per-flow mean) and jain (median over reps with
    >= 2 flows of Jain's index of the per-flow means while all of them ran)."""
    means = {key: math.fsum(m for _, m in v) / len(v) for key, v in flows.items() if v}
    out = {}
    if means:
        out["long_flow_mbit"] = _round(float(_median(means.values())))
    per_rep = defaultdict(list)
    for (rep, _), v in flows.items():
        if v:
            per_rep[rep].append(v)
    indices = []
    for series in per_rep.values():
        if len(series) < 2:
            continue
        start, end = _common_window(series)
        ms = []
        for v in series:
            inside = [m for t, m in v if start <= t <= end]
            ms.append(math.fsum(inside) / len(inside) if inside else 0.0)
        if any(ms):
            indices.append(stats.jain(ms))
    if indices:
        out["jain"] = _round(float(_median(indices)), 4)
    return out


def _queue(qs, weights):
    """Mean and p99 of the sampled queue weighted by the time each sample
    held (unweighted when no sample has a successor), and its maximum."""
    if sum(weights) > 0:
        mean = stats.weighted_mean(qs, weights)
        p99 = stats.weighted_quantile(qs, weights, 99)
    else:
        mean, p99 = stats.summary(qs)["mean"], stats.percentile(qs, 99)
    return {"mean_pkts": mean, "p99_pkts": p99, "max_pkts": max(qs), "samples": len(qs)}


def _entry(params, cc, group, a):
    """The results entry of one (cc, group); a is its aggregates or None."""
    e = {"cc": cc, "group": group, "reps_done": len(a["runs"]) if a else 0}
    if a is None:
        return e
    if a["fct"]:
        e["completions"] = _completions(params, a["fct"])
    if "probe" in a["fct"]:
        _, sizes, fcts = a["fct"]["probe"]
        e["fct_by_size"] = _fct_by_size(params, sizes, fcts)
    if "web" in a["fct"]:
        _, sizes, fcts = a["fct"]["web"]
        e["web_by_size"] = _web_by_size(sizes, fcts)
    if a["counters"]:
        for name, counter in COUNTERS:
            e[name] = _count(math.fsum(c.get(counter, 0.0) for c in a["counters"].values()))
    if a["runs"]:
        runs = list(a["runs"].values())
        goodput = float(_median([r[0] for r in runs]))
        e["goodput_mbit"] = _round(goodput)
        ci = stats.cluster_ci([[r[0]] for r in runs], np.median)
        if ci:
            e["goodput_ci"] = _round([ci[1], ci[2]])
        rate = params.get("rate_mbit")
        if isinstance(rate, int | float) and rate > 0:
            e["goodput_fraction"] = _round(goodput / rate, 4)
        e["qdisc_drops"] = _count(math.fsum(r[1] for r in runs))
        e["qdisc_marks"] = _count(math.fsum(r[2] for r in runs))
    if a["queue"]:
        e["queue"] = _round(_queue(a["queue"], a["queue_w"]))
    if a["probe_lost"] is not None:
        e["probe_lost"] = a["probe_lost"]
    if a["srtt"]:
        e["rtt_us"] = _round(stats.summary(a["srtt"]))
    if a["flows"]:
        e.update(_long_flows(a["flows"]))
    if a["cases"]:
        e["tdctcp_cases"] = {str(c): sum(r.get(c, 0) for r in a["cases"].values())
                             for c in range(1, 9)}
    return e


def _results(data):
    params, acc = data["params"], data["acc"]
    results = [_entry(params, cc, str(g), acc.get((cc, str(g))))
               for g in params["groups"] for cc in params["ccs"]]
    kind = main_kind(results)
    if kind:
        versus = _versus(params, acc, kind)
        modules = _versus(params, acc, kind, bpf_module_of)
        for e in results:
            if (e["cc"], e["group"]) in versus:
                e["vs_" + REFERENCE_CC] = versus[(e["cc"], e["group"])]
            if (e["cc"], e["group"]) in modules:
                e["vs_module"] = modules[(e["cc"], e["group"])]
    return results


def summarize(run_dir):
    """{"params": params.json, "results": one entry per (group, cc) in params
    order} (plus "skipped_rows" when malformed CSV rows were skipped)."""
    return summary_of(load(run_dir))


def summary_of(data):
    out = {"params": data["params"], "results": _results(data)}
    if data.get("cpu"):
        # each kernel's CPU busy over a run, per cent of all its CPUs
        out["host_cpu_pct"] = {h: {"median": _round(_median(v), 1), "max": max(v)}
                               for h, v in sorted(data["cpu"].items())}
    if data["skipped"]:
        out["skipped_rows"] = data["skipped"]
    return out




def has_groups(params):
    return any(str(g) != "" for g in params["groups"])


def main_kind(results):
    """The kind the main table shows: query, else short, else flow (or None)."""
    present = {k for e in results for k in e.get("completions", {})}
    return next((k for k in KINDS if k in present), None)


def group_label(params, group):
    return f"{params.get('group_name') or 'group'} = {group}" if group != "" else ""


def in_group(params, group):
    """" (N = 8)" for a title, or "" when the experiment has no sweep."""
    return f" ({group_label(params, group)})" if group != "" else ""
