"""Turn a run directory into summary.json, report.md and plots/*.png.

A run directory D holds params.json and raw/*.csv as written by the
experiment runner (completions, queue, probe, counters, runs and,
optionally, flows).  Every CSV is read once, streaming, and aggregated
per (cc, group); for the time-series plots only the lowest repetition of
each (cc, group) is kept.  Missing files are tolerated (their keys are
left out), malformed rows (e.g. a truncated last line of an interrupted
run) are skipped and counted, and rows whose (cc, group) is not in
params.json are ignored.

    PYTHONPATH=mininet python3 -m dctestbed.report D
"""

import argparse
import csv
import gzip
import itertools
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
CC_COLOURS = {"cubic": "tab:blue", "reno": "tab:gray", "dctcp": "tab:green",
              "xdctcp": "tab:red", "tdctcp": "tab:purple"}
SPARE_COLOURS = ("tab:orange", "tab:brown", "tab:pink", "tab:olive", "tab:cyan")
MAX_FLOWS_PLOTTED = 8
MAX_POINTS = 20000                          # per plotted line


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
        "counters": None,                           # name -> sum, once a row is seen
        "runs": {},                                 # rep -> (goodput, drops, marks)
        "probe_lost": None,                         # tcp_probe events lost, once recorded
        "queue": array("d"),                        # qlen samples, packets
        "queue_w": array("d"),                      # ... each held until the next, s
        "queue_last": None,                         # (rep, t_s) of the last sample
        "srtt": array("d"),
        "flows": defaultdict(list),                 # (rep, flow) -> [(t_s, interval Mbit/s)]
        "cases": defaultdict(int),                  # tdctcp case 1..8 -> decisions
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


def _scan(path, handle, skipped):
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
            _add_flow_point(series["cwnd"], key, rep, row["flow"], t, cwnd)

    def counter(row):
        key, _ = key_rep(row)
        if key:
            value = float(row["value"])
            if acc[key]["counters"] is None:
                acc[key]["counters"] = defaultdict(float)
            acc[key]["counters"][row["name"]] += value

    def run(row):
        key, rep = key_rep(row)
        if key:
            acc[key]["runs"][rep] = (float(row["goodput_mbit"]), float(row["qdisc_drops"] or 0),
                                     float(row["qdisc_marks"] or 0))
            if row.get("probe_lost"):       # runs with tcp_probe, since lost events are counted
                acc[key]["probe_lost"] = (acc[key]["probe_lost"] or 0) + int(row["probe_lost"])

    def flow(row):
        key, rep = key_rep(row)
        if key:
            t, mbit = float(row["t_s"]), float(row["mbit"])
            acc[key]["flows"][(rep, row["flow"])].append((t, mbit))
            _add_flow_point(series["flows"], key, rep, row["flow"], t, mbit)

    def case(row):
        key, _ = key_rep(row)
        if key:
            acc[key]["cases"][int(row["case"])] += int(row["count"])

    raw = run_dir / "raw"
    for name, handle in (("completions", completion), ("queue", queue), ("probe", probe),
                         ("counters", counter), ("runs", run), ("flows", flow), ("cases", case)):
        _scan(raw / f"{name}.csv", handle, skipped)
    return {"params": params, "acc": dict(acc), "series": series, "skipped": skipped}


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


def _ideal(params, size_bytes):
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
            ideal = _ideal(params, params.get("response_bytes"))
        elif kind == "short":
            ideal = _ideal(params, _median(sizes))
        if ideal is not None:
            s["ideal_us"] = _round(float(ideal))
        s["p99_by_rep"] = [_round(stats.percentile(by_rep[r], 99)) for r in sorted(by_rep)]
        groups = [by_rep[r] for r in sorted(by_rep)]
        for name, q in (("p50", 50), ("p99", 99)):
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


REFERENCE_CC = "dctcp"      # what the others are compared with, where it ran


def _versus(params, acc, kind):
    """Each control against REFERENCE_CC in the same group: the ratio of
    p50 and p99 of kind (and of the median goodput), with a bootstrap
    interval over repetitions paired by index (same seed and start
    jitter), and what the interval allows."""
    out = {}
    for g in params["groups"]:
        ref = acc.get((REFERENCE_CC, str(g)))
        if ref is None:
            continue
        ref_q = by_rep(ref, kind)
        for cc in params["ccs"]:
            a = acc.get((cc, str(g)))
            if cc == REFERENCE_CC or a is None:
                continue
            mine = by_rep(a, kind)
            reps = sorted(set(ref_q) & set(mine))
            row = {}
            for name, q in (("p50", 50), ("p99", 99)):
                ci = stats.paired_percentile_ratio_ci([mine[r] for r in reps],
                                                      [ref_q[r] for r in reps], q)
                if ci:
                    row[name] = _round(list(ci), 4)
            reps = sorted(set(ref["runs"]) & set(a["runs"]))
            ci = stats.paired_cluster_ratio_ci([[a["runs"][r][0]] for r in reps],
                                               [[ref["runs"][r][0]] for r in reps], np.median)
            if ci:
                row["goodput"] = _round(list(ci), 4)
            if row:
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
            ideal = _ideal(params, size_of[label]) if params else None
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
    if a["counters"] is not None:
        for name, counter in COUNTERS:
            e[name] = _count(a["counters"].get(counter, 0.0))
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
        e["tdctcp_cases"] = {str(c): a["cases"][c] for c in range(1, 9)}
    return e


def _results(data):
    params, acc = data["params"], data["acc"]
    results = [_entry(params, cc, str(g), acc.get((cc, str(g))))
               for g in params["groups"] for cc in params["ccs"]]
    kind = main_kind(results)
    if kind:
        versus = _versus(params, acc, kind)
        for e in results:
            if (e["cc"], e["group"]) in versus:
                e["vs_" + REFERENCE_CC] = versus[(e["cc"], e["group"])]
    return results


def summarize(run_dir):
    """{"params": params.json, "results": one entry per (group, cc) in params
    order} (plus "skipped_rows" when malformed CSV rows were skipped)."""
    return _summary(load(run_dir))


def _summary(data):
    out = {"params": data["params"], "results": _results(data)}
    if data["skipped"]:
        out["skipped_rows"] = data["skipped"]
    return out


# ---------------------------------------------------------------- Markdown

def fmt_ms(us):
    """Microseconds as milliseconds with at least three significant digits
    and no exponent (0.123, 1.23, 12.3, 123, 1234); "-" for None."""
    if us is None:
        return "-"
    ms = us / 1000
    if ms == 0:
        return "0"
    return f"{ms:.{max(0, 2 - math.floor(math.log10(abs(ms))))}f}"


def _fmt(x, spec="g"):
    return "-" if x is None else format(x, spec)


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def has_groups(params):
    return any(str(g) != "" for g in params["groups"])


def main_kind(results):
    """The kind the main table shows: query, else short, else flow (or None)."""
    present = {k for e in results for k in e.get("completions", {})}
    return next((k for k in KINDS if k in present), None)


def _main_table(params, results, kind):
    grouped = has_groups(params)
    show_reps = any(e["reps_done"] != params.get("reps") for e in results)
    long_flow = any("long_flow_mbit" in e for e in results)
    jain = any("jain" in e for e in results)
    header = ([params.get("group_name") or "group"] if grouped else []) + ["cc"]
    header += ["reps"] if show_reps else []
    cis = bool(kind) and any("p99_ci" in e.get("completions", {}).get(kind, {}) for e in results)
    header += ["samples", "p50 ms", "p95 ms", "p99 ms", "p99.9 ms", "ideal ms"] if kind else []
    header += ["p50 95 % CI", "p99 95 % CI"] if cis else []
    header += ["timeouts", "retrans", "CE marks", "goodput Mbit/s (% shaped)",
               "mean queue pkts", "p99 queue pkts"]
    header += (["long-flow Mbit/s"] if long_flow else []) + (["Jain"] if jain else [])
    rows = []
    for e in results:
        row = ([e["group"]] if grouped else []) + [e["cc"]]
        row += [str(e["reps_done"])] if show_reps else []
        if kind:
            c = e.get("completions", {}).get(kind, {})
            row += [str(c.get("count", 0))] + [fmt_ms(c.get(p)) for p in ("p50", "p95", "p99", "p999")]
            row += [fmt_ms(c.get("ideal_us"))]
            if cis:
                row += [fmt_interval(c.get(f"{p}_ci")) for p in ("p50", "p99")]
        row += [_fmt(e.get(k)) for k, _ in COUNTERS]
        goodput = _fmt(e.get("goodput_mbit"), ".1f")
        if "goodput_fraction" in e:
            goodput += f" ({100 * e['goodput_fraction']:.1f} %)"
        q = e.get("queue", {})
        row += [goodput, _fmt(q.get("mean_pkts"), ".1f"), _fmt(q.get("p99_pkts"), ".1f")]
        row += [_fmt(e.get("long_flow_mbit"), ".1f")] if long_flow else []
        row += [_fmt(e.get("jain"), ".3f")] if jain else []
        rows.append(row)
    return _table(header, rows)


def fmt_interval(ci):
    """[low, high] in us as "low–high" ms; "-" without one."""
    return "-" if not ci else f"{fmt_ms(ci[0])}–{fmt_ms(ci[1])}"


def _versus_table(params, results):
    """Each control against REFERENCE_CC: ratios with intervals, verdicts."""
    key = "vs_" + REFERENCE_CC
    grouped = has_groups(params)
    header = ([params.get("group_name") or "group"] if grouped else []) + [
        "cc", "p50 ratio [95 % CI]", "p50", "p99 ratio [95 % CI]", "p99",
        "goodput ratio [95 % CI]", "goodput"]
    rows = []
    for e in results:
        v = e.get(key)
        if not v:
            continue
        row = ([e["group"]] if grouped else []) + [e["cc"]]
        for name, lower_is_better in (("p50", True), ("p99", True), ("goodput", False)):
            ci = v.get(name)
            row += ([f"{ci[0]:.3f} [{ci[1]:.3f}–{ci[2]:.3f}]", verdict(ci, lower_is_better)]
                    if ci else ["-", "-"])
        rows.append(row)
    note = (f"Ratios are the control's figure over {REFERENCE_CC}'s in the same group, over "
            "repetitions paired by index (same seed and start jitter); the interval resamples "
            "repetitions (a percentile bootstrap, 2000 draws). \"inconclusive\": the interval "
            "holds 1.")
    return _table(header, rows) + ["", note]


def _other_kind_table(params, results, kind):
    grouped = has_groups(params)
    header = ([params.get("group_name") or "group"] if grouped else []) + ["cc", "samples", "p50 ms",
                                                                         "p99 ms", "ideal ms"]
    rows = []
    for e in results:
        c = e.get("completions", {}).get(kind, {})
        row = ([e["group"]] if grouped else []) + [e["cc"], str(c.get("count", 0))]
        rows.append(row + [fmt_ms(c.get(k)) for k in ("p50", "p99", "ideal_us")])
    return _table(header, rows)


def _by_size_table(params, results, field):
    """p50 and p99 per size (or size bin) of results' field, with the
    ideal under each size where the entries have one."""
    grouped = has_groups(params)
    labels = list(dict.fromkeys(b for e in results for b in e.get(field, {})))
    header = ([params.get("group_name") or "group"] if grouped else []) + ["cc"]
    header += [f"{b} {p}" for b in labels for p in ("n", "p50 ms", "p99 ms")]
    rows = []
    for e in results:
        if field not in e:
            continue
        row = ([e["group"]] if grouped else []) + [e["cc"]]
        for b in labels:
            s = e[field].get(b, {})
            row += [str(s.get("count", 0)), fmt_ms(s.get("p50")), fmt_ms(s.get("p99"))]
        rows.append(row)
    ideal = {b: s["ideal_us"] for e in results for b, s in e.get(field, {}).items() if "ideal_us" in s}
    note = ["", "Ideal: " + ", ".join(f"{b} {fmt_ms(us)} ms" for b, us in ideal.items()) + "."] \
        if ideal else []
    return _table(header, rows) + note


def _testbed(params, results):
    """The Testbed paragraph."""
    def v(key, spec="g"):
        x = params.get(key)
        return "?" if x is None else (format(x, spec) if isinstance(x, int | float) else str(x))

    text = ""
    if params.get("warning"):
        text += f"**Warning:** {params['warning']} (run with --force).\n\n"
    if params.get("invalid"):
        text += f"**INVALID: {params['invalid']}.** The figures below are not a measurement.\n\n"
    text += (f"**Testbed.** Bottleneck shaped to {v('rate_mbit')} Mbit/s with ECN marking threshold "
            f"K = {v('k_pkts')} packets and a {v('buffer_pkts')}-packet buffer; measured base RTT "
            f"{v('base_rtt_us', '.0f')} µs")
    if params.get("clock") == "virtual":
        text += (" in virtual time (User-Mode Linux with time-travel=inf-cpu: CPU work takes no "
                 "time, the clock jumps to the next timer; HZ = 100, so timers tick every 10 ms; "
                 f"Linux bridges; {v('added_rtt_us')} µs of base RTT added on the hosts' ports)")
    else:
        text += f" and unshaped capacity {v('capacity_mbit', '.0f')} Mbit/s"
    text += "."
    if params.get("carried_mbit") is not None:
        text += (f" One long flow over the shaped path carried {v('carried_mbit')} Mbit/s "
                 f"({100 * params.get('carried_fraction', 0):.1f} % of the shaped rate).")
    goodputs = [e["goodput_mbit"] for e in results if "goodput_mbit" in e]
    if goodputs:
        text += f" Achieved goodput {min(goodputs):.1f}–{max(goodputs):.1f} Mbit/s"
        rate = params.get("rate_mbit")
        if isinstance(rate, int | float) and rate > 0:
            lo, hi = 100 * min(goodputs) / rate, 100 * max(goodputs) / rate
            text += f" ({lo:.1f}–{hi:.1f} % of the shaped rate)"
        text += "."
    text += (f" Kernel {v('kernel')}, emulation {v('emulation')}, {v('reps')} repetitions per point;"
             f" started {v('started')}, finished {v('finished')}.")
    if params.get("command"):
        text += f" Command: `{params['command']}`."
    if params.get("source"):
        text += f" Source: `{params['source']}`"
        built = {m: v for m, v in (params.get("module_srcversion") or {}).items() if v}
        if built:
            text += " (module srcversion " + ", ".join(f"{m} {v}" for m, v in built.items()) + ")"
        text += "."
    cap, rate = params.get("capacity_mbit"), params.get("rate_mbit")
    if isinstance(cap, int | float) and isinstance(rate, int | float) and cap < rate:
        text += (" **Warning:** the measured capacity is below the shaped rate,"
                 " so the shaper is not the bottleneck.")
    text += (" Ideal completion times count the frames the shaper sends (1514 bytes per "
             "1448 of payload) at the shaped rate, plus the base RTT. Queue mean and p99 weight "
             "each sample by the time to the next one. The first query of each run (\"cold\") "
             "is reported apart from the others.")
    return text


CASE_NAMES = ("1 clear +", "2 slow -", "3 easing +", "4 rising -",
              "5 burst -", "6 severe /2", "7 recovering -", "8 congested -")


def _case_table(params, results):
    """Share of tdctcp's decisions in each of the eight cases (thesis
    Figure 3-2), from its debugfs counters around each run."""
    header = ["cc"] + (["group"] if has_groups(params) else []) + ["decisions"] + list(CASE_NAMES)
    rows = []
    for e in results:
        cases = e.get("tdctcp_cases")
        if not cases:
            continue
        total = sum(cases.values())
        share = [f"{100 * cases[str(c)] / total:.1f} %" if total else "-" for c in range(1, 9)]
        rows.append([e["cc"]] + ([e["group"]] if has_groups(params) else []) + [str(total)] + share)
    note = ("Decisions are counted once per window with an RTT sample, summed over the "
            "repetitions; + grows the window, - and /2 are deferred decreases (README).")
    return _table(header, rows) + ["", note]


def render_markdown(summary, plots):
    """report.md text from a summarize() dict and [(file name, description)]."""
    params, results = summary["params"], summary["results"]
    date = str(params.get("started", ""))[:10]
    lines = [f"# {params['experiment']} experiment" + (f", {date}" if date else ""), ""]
    if params.get("interrupted"):
        lines += ["**INTERRUPTED: this run did not finish. The results cover only the repetitions "
                  "that completed (reps per point are in summary.json).**", ""]
    lines += [_testbed(params, results), ""]
    if summary.get("skipped_rows"):
        skipped = ", ".join(f"{n} {c}" for n, c in summary["skipped_rows"].items())
        lines += [f"Skipped malformed CSV rows: {skipped}.", ""]
    lost = {f"{e['cc']}{_in_group(params, e['group'])}": e["probe_lost"] for e in results
            if e.get("probe_lost")}
    if lost:
        lines += ["**tcp_probe lost events** (the ring buffer overflowed; cwnd and srtt figures "
                  "miss them): " + ", ".join(f"{k} {n}" for k, n in lost.items()) + ".", ""]
    kind = main_kind(results)
    title = f"{kind} completion times" if kind else "results"
    lines += [f"## Congestion controls compared: {title}", ""] + _main_table(params, results, kind) + [""]
    if any(f"vs_{REFERENCE_CC}" in e for e in results):
        lines += [f"## Against {REFERENCE_CC}: {kind} completion and goodput", ""]
        lines += _versus_table(params, results) + [""]
    present = {k for e in results for k in e.get("completions", {})}
    titles = {"short": "Short request/response completion times",
              "probe": "Probe flow completion times (all sizes)",
              "web": "Web-search flow completion times",
              "cold": "The first query of each run (new connections' first data)"}
    for other in (k for k in KINDS if k in present and k != kind):
        lines += [f"## {titles.get(other, other)}", ""] + _other_kind_table(params, results, other) + [""]
    if any("fct_by_size" in e for e in results):
        lines += ["## Probe flow completion time by size", ""]
        lines += _by_size_table(params, results, "fct_by_size") + [""]
    if any("web_by_size" in e for e in results):
        lines += ["## Web-search flow completion time by size", ""]
        lines += _by_size_table(params, results, "web_by_size") + [""]
    if any("tdctcp_cases" in e for e in results):
        lines += ["## tdctcp decisions per case", ""] + _case_table(params, results) + [""]
    if plots:
        lines += ["## Plots", ""] + [f"- `plots/{name}`: {desc}" for name, desc in plots] + [""]
    return "\n".join(lines)


# ---------------------------------------------------------------- plots

def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def cc_colours(ccs):
    """One colour per cc: fixed ones for the usual five, spares for others."""
    spare = itertools.cycle(SPARE_COLOURS)
    return {cc: CC_COLOURS.get(cc) or next(spare) for cc in ccs}


def _thin(xs, ys, limit=MAX_POINTS):
    step = max(1, math.ceil(len(xs) / limit))
    return xs[::step], ys[::step]


def _group_label(params, group):
    return f"{params.get('group_name') or 'group'} = {group}" if group != "" else ""


def _in_group(params, group):
    """" (N = 8)" for a title, or "" when the experiment has no sweep."""
    return f" ({_group_label(params, group)})" if group != "" else ""


def _log(ax, which):
    """Log scale on ax's x or y axis (which) with plain-number tick labels."""
    from matplotlib.ticker import FuncFormatter

    def minor(v, _):
        return f"{v:g}" if round(v / 10 ** math.floor(math.log10(v) + 1e-9)) in (2, 5) else ""

    getattr(ax, f"set_{which}scale")("log")
    axis = getattr(ax, f"{which}axis")
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(FuncFormatter(minor))


def _group_axis(ax, params):
    """Put the groups on ax's x axis (numeric if they all parse); returns x values."""
    groups = [str(g) for g in params["groups"]]
    try:
        xs = [float(g) for g in groups]
    except ValueError:
        xs = list(range(len(groups)))
    else:
        if min(xs) > 0 and max(xs) / min(xs) >= 8:
            ax.set_xscale("log", base=2)
    ax.set_xticks(xs)
    ax.set_xticklabels(groups)
    ax.minorticks_off()
    ax.set_xlabel(params.get("group_name") or "group")
    return dict(zip(groups, xs, strict=True))


def _last_group(params, keys):
    """The last group (in params order) that has data among keys."""
    return next((str(g) for g in reversed(params["groups"]) if any(k[1] == str(g) for k in keys)), None)


def _save(plt, fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _plot_cdfs(plt, ctx):
    out = []
    params, acc = ctx["params"], ctx["acc"]
    kinds = [k for k in KINDS if any(k in a["fct"] for a in acc.values())]
    for kind in kinds:
        groups = [str(g) for g in params["groups"]
                  if any(kind in acc.get((cc, str(g)), {"fct": {}})["fct"] for cc in params["ccs"])]
        ncols = 1 if len(groups) <= 2 else 2
        nrows = math.ceil(len(groups) / ncols)
        fig, axes = plt.subplots(nrows, ncols, sharex=True, squeeze=False,
                                 figsize=(8 if ncols == 1 else 11, max(5, 2.8 * nrows)))
        for ax, g in zip(axes.flat, groups, strict=False):
            for cc in params["ccs"]:
                a = acc.get((cc, g))
                if not a or kind not in a["fct"]:
                    continue
                xs, ys = stats.cdf(f / 1000 for f in a["fct"][kind][2] if f > 0)
                ax.step(*_thin(xs, ys), where="post", color=ctx["colours"][cc], label=cc)
            ideal = next((e["completions"][kind].get("ideal_us") for e in ctx["results"]
                          if e["group"] == g and kind in e.get("completions", {})), None)
            if ideal:
                ax.axvline(ideal / 1000, ls="--", color="black", lw=1, label="ideal")
            _log(ax, "x")
            ax.set_ylabel("CDF")
            ax.set_title(_group_label(params, g), fontsize=10)
            ax.grid(True, which="both", alpha=0.3)
        for ax in axes.flat[len(groups):]:
            ax.set_visible(False)
        for ax in axes[-1]:
            ax.set_xlabel("completion time (ms, log scale)")
        axes[0][0].legend(fontsize=8)
        fig.suptitle(f"{params['experiment']}: {kind} completion time CDF")
        name = f"cdf_{kind}.png"
        _save(plt, fig, ctx["plots_dir"] / name)
        what = "one panel per " + (params.get("group_name") or "group") if len(groups) > 1 else "all runs"
        ideal_note = ", dashed line at the ideal completion time" if kind in ("query", "short") else ""
        out.append((name, f"CDF of {kind} completion time per congestion control ({what}{ideal_note})."))
    return out


def _plot_p99_vs_group(plt, ctx):
    params, kind = ctx["params"], main_kind(ctx["results"])
    if len(params["groups"]) < 2 or kind is None:
        return []
    fig, ax = plt.subplots(figsize=(8, 5))
    xs = _group_axis(ax, params)
    for cc in params["ccs"]:
        pts = [(xs[e["group"]], e["completions"][kind]) for e in ctx["results"]
               if e["cc"] == cc and kind in e.get("completions", {})]
        if pts:
            x = [p[0] for p in pts]
            ax.plot(x, [p[1]["p99"] / 1000 for p in pts], "o-", color=ctx["colours"][cc], label=f"{cc} p99")
            ax.plot(x, [p[1]["p50"] / 1000 for p in pts], "s--", color=ctx["colours"][cc], label=f"{cc} p50",
                    alpha=0.7)
    ideal = sorted({(xs[e["group"]], e["completions"][kind]["ideal_us"]) for e in ctx["results"]
                    if "ideal_us" in e.get("completions", {}).get(kind, {})})
    if ideal:
        ax.plot([i[0] for i in ideal], [i[1] / 1000 for i in ideal], ":", color="black", label="ideal")
    _log(ax, "y")
    ax.set_ylabel(f"{kind} completion time (ms, log scale)")
    ax.set_title(f"{params['experiment']}: {kind} p99 (solid) and p50 (dashed)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    _save(plt, fig, ctx["plots_dir"] / "p99_vs_group.png")
    return [("p99_vs_group.png", f"p99 (solid) and p50 (dashed) {kind} completion time against "
             f"{params.get('group_name') or 'group'} per congestion control.")]


def _per_cc_panels(plt, ctx, store, ylabel):
    """Figure with one panel per cc of the last group's lowest rep in store,
    or (None, None, None) if store is empty; returns (fig, panels, group)."""
    params = ctx["params"]
    group = _last_group(params, store)
    ccs = [cc for cc in params["ccs"] if (cc, group) in store]
    if not ccs:
        return None, None, None
    fig, axes = plt.subplots(len(ccs), 1, sharex=True, sharey=True, squeeze=False,
                             figsize=(8, max(5, 1.9 * len(ccs))))
    panels = []
    for ax, cc in zip(axes[:, 0], ccs, strict=True):
        rep, data = store[(cc, group)]
        ax.set_ylabel(ylabel)
        ax.set_title(f"{cc} (rep {rep})", fontsize=9, loc="left")
        ax.grid(True, alpha=0.3)
        panels.append((ax, cc, data))
    axes[-1, 0].set_xlabel("time since run start (s)")
    return fig, panels, group


def _plot_queue(plt, ctx):
    params = ctx["params"]
    fig, panels, group = _per_cc_panels(plt, ctx, ctx["series"]["queue"], "queue (pkts)")
    if fig is None:
        return []
    for ax, cc, (ts, qs) in panels:
        ax.plot(*_thin(ts, qs), color=ctx["colours"][cc], lw=0.8)
        if params.get("k_pkts") is not None:
            ax.axhline(params["k_pkts"], ls="--", color="black", lw=0.8, label=f"K = {params['k_pkts']}")
        if params.get("buffer_pkts") is not None:
            ax.axhline(params["buffer_pkts"], ls=":", color="black", lw=0.8,
                       label=f"buffer = {params['buffer_pkts']}")
    panels[0][0].legend(fontsize=8, loc="upper right")
    fig.suptitle(f"{params['experiment']}: bottleneck queue" + _in_group(params, group))
    _save(plt, fig, ctx["plots_dir"] / "queue.png")
    return [("queue.png", "Bottleneck queue length over time, one panel per congestion control "
             "(lowest rep of the last group), dashed at K, dotted at the buffer size.")]


def _plot_flow_series(plt, ctx, store, name, ylabel, what):
    fig, panels, group = _per_cc_panels(plt, ctx, store, ylabel)
    if fig is None:
        return []
    for ax, cc, flows in panels:
        top = sorted(flows.items(), key=lambda kv: -len(kv[1][0]))[:MAX_FLOWS_PLOTTED]
        for _, (ts, ys) in top:
            ax.plot(*_thin(ts, ys), color=ctx["colours"][cc], lw=0.7, alpha=0.75)
    fig.suptitle(f"{ctx['params']['experiment']}: {what}" + _in_group(ctx["params"], group))
    _save(plt, fig, ctx["plots_dir"] / name)
    return [(name, f"{what.capitalize()} over time, one panel per congestion control (lowest rep of "
             f"the last group, up to {MAX_FLOWS_PLOTTED} flows, one thin line each).")]


def _plot_rtt_cdf(plt, ctx):
    params, acc = ctx["params"], ctx["acc"]
    have = {k for k, a in acc.items() if a["srtt"]}
    group = _last_group(params, have)
    if group is None:
        return []
    fig, ax = plt.subplots(figsize=(8, 5))
    for cc in params["ccs"]:
        if (cc, group) in have:
            xs, ys = stats.cdf(s / 1000 for s in acc[(cc, group)]["srtt"] if s > 0)
            ax.step(*_thin(xs, ys), where="post", color=ctx["colours"][cc], label=cc)
    _log(ax, "x")
    ax.set_xlabel("smoothed RTT (ms, log scale)")
    ax.set_ylabel("CDF")
    ax.set_title(f"{params['experiment']}: srtt from tcp_probe" + _in_group(params, group))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    _save(plt, fig, ctx["plots_dir"] / "rtt_cdf.png")
    return [("rtt_cdf.png", "CDF of the smoothed RTT seen by tcp_probe per congestion control (last group).")]


def _plot_fct_by_size(plt, ctx):
    params = ctx["params"]
    have = {(e["cc"], e["group"]): e["fct_by_size"] for e in ctx["results"] if "fct_by_size" in e}
    group = _last_group(params, have)
    if group is None:
        return []
    ccs = [cc for cc in params["ccs"] if (cc, group) in have]
    labels = list(dict.fromkeys(b for cc in ccs for b in have[(cc, group)]))
    width = 0.8 / len(ccs)
    fig, ax = plt.subplots(figsize=(8, 5))
    for i, cc in enumerate(ccs):
        buckets = have[(cc, group)]
        idx = [j for j, b in enumerate(labels) if b in buckets]
        p50 = [buckets[labels[j]]["p50"] / 1000 for j in idx]
        p99 = [buckets[labels[j]]["p99"] / 1000 for j in idx]
        ax.bar([j - 0.4 + width * (i + 0.5) for j in idx], p50, width, color=ctx["colours"][cc], label=cc,
               yerr=[[0] * len(idx), [b - a for a, b in zip(p50, p99, strict=True)]], capsize=3)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels)
    _log(ax, "y")
    ax.set_xlabel("probe flow size")
    ax.set_ylabel("completion time (ms, log scale)")
    ax.set_title(f"{params['experiment']}: FCT by size, bar p50, whisker to p99"
                 + _in_group(params, group))
    ax.grid(True, axis="y", which="both", alpha=0.3)
    ax.legend()
    _save(plt, fig, ctx["plots_dir"] / "fct_by_size.png")
    return [("fct_by_size.png", "Probe flow completion time per size and congestion control: bar at "
             "p50, whisker up to p99 (last group, log scale).")]


def _plot_goodput_vs_group(plt, ctx):
    params = ctx["params"]
    if len(params["groups"]) < 2 or not any("goodput_mbit" in e or "queue" in e for e in ctx["results"]):
        return []
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(8, 6))
    xs = _group_axis(bottom, params)
    for cc in params["ccs"]:
        mine = [e for e in ctx["results"] if e["cc"] == cc]
        good = [(xs[e["group"]], e["goodput_mbit"]) for e in mine if "goodput_mbit" in e]
        queue = [(xs[e["group"]], e["queue"]["mean_pkts"]) for e in mine if "queue" in e]
        colour = ctx["colours"][cc]
        if good:
            top.plot(*zip(*good, strict=True), "o-", color=colour, label=cc)
        if queue:
            bottom.plot(*zip(*queue, strict=True), "o-", color=colour, label=cc)
    if params.get("rate_mbit"):
        top.axhline(params["rate_mbit"], ls="--", color="black", lw=0.8, label="shaped rate")
    if params.get("k_pkts") is not None:
        bottom.axhline(params["k_pkts"], ls="--", color="black", lw=0.8, label="K")
    top.set_ylabel("goodput (Mbit/s, median)")
    bottom.set_ylabel("mean queue (pkts)")
    top.set_title(f"{params['experiment']}: goodput and mean queue")
    for ax in (top, bottom):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    _save(plt, fig, ctx["plots_dir"] / "goodput_vs_group.png")
    return [("goodput_vs_group.png", f"Median goodput (top) and mean bottleneck queue (bottom) against "
             f"{params.get('group_name') or 'group'} per congestion control.")]


def write_plots(data, results, plots_dir):
    """Write every plot whose data exist to plots_dir; [(file name, description)]."""
    plt = _pyplot()
    plots_dir.mkdir(parents=True, exist_ok=True)
    ctx = {**data, "results": results, "plots_dir": plots_dir, "colours": cc_colours(data["params"]["ccs"])}
    out = _plot_cdfs(plt, ctx) + _plot_p99_vs_group(plt, ctx) + _plot_queue(plt, ctx)
    out += _plot_flow_series(plt, ctx, ctx["series"]["cwnd"], "cwnd.png", "cwnd (pkts)", "congestion window")
    out += _plot_rtt_cdf(plt, ctx) + _plot_fct_by_size(plt, ctx)
    out += _plot_flow_series(plt, ctx, ctx["series"]["flows"], "throughput.png", "Mbit/s",
                             "per-flow throughput")
    out += _plot_goodput_vs_group(plt, ctx)
    return out


def write_report(run_dir):
    """Write run_dir/summary.json, report.md and plots/*.png; returns the
    path of report.md."""
    run_dir = Path(run_dir)
    data = load(run_dir)
    summary = _summary(data)
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    plots = write_plots(data, summary["results"], run_dir / "plots")
    path = run_dir / "report.md"
    path.write_text(render_markdown(summary, plots))
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m dctestbed report",
                                     description="Write summary.json, report.md and plots of a run.")
    parser.add_argument("run_dir", type=Path)
    run_dir = parser.parse_args(argv).run_dir
    print(f"report: {write_report(run_dir)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
