"""Turn a run directory into summary.json, report.md and plots/*.png.

The numbers come from analysis.py, the figures from plots.py; this module
writes the Markdown.

    PYTHONPATH=mininet python3 -m dctestbed.report D
"""

import argparse
import json
import math
from pathlib import Path

from dctestbed import plots
from dctestbed.analysis import (
    COUNTERS,
    KINDS,
    REFERENCE_CC,
    has_groups,
    in_group,
    load,
    main_kind,
    summary_of,
    verdict,
)
from dctestbed.stats import MIN_VALUES, reportable

# ---------------------------------------------------------------- Markdown

# a percentile not reported for want of values (stats.MIN_VALUES)
FEW = "too few"
FEW_NOTE = (f"A p99 is given only where a point has at least {MIN_VALUES['p99']} values and a "
            f"p99.9 from {MIN_VALUES['p999']} (below that the p99 is all but the maximum, and "
            "a bootstrap of the maximum is unreliable): \"too few\" marks the others, where the "
            "p90 is the tail figure.")

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


def _main_table(params, results, kind):
    grouped = has_groups(params)
    show_reps = any(e["reps_done"] != params.get("reps") for e in results)
    long_flow = any("long_flow_mbit" in e for e in results)
    jain = any("jain" in e for e in results)
    header = ([params.get("group_name") or "group"] if grouped else []) + ["cc"]
    header += ["reps"] if show_reps else []
    cis = bool(kind) and any("p50_ci" in e.get("completions", {}).get(kind, {}) for e in results)
    header += ["samples", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "ideal ms"] if kind else []
    header += ["p50 95 % CI", "p90 95 % CI", "p99 95 % CI"] if cis else []
    header += ["timeouts", "retrans", "CE marks", "goodput Mbit/s (% shaped)",
               "mean queue pkts", "p99 queue pkts"]
    header += (["long-flow Mbit/s"] if long_flow else []) + (["Jain"] if jain else [])
    rows = []
    for e in results:
        row = ([e["group"]] if grouped else []) + [e["cc"]]
        row += [str(e["reps_done"])] if show_reps else []
        if kind:
            c = e.get("completions", {}).get(kind, {})
            n = c.get("count", 0)
            row += [str(n)] + [fmt_ms(c.get(p)) if reportable(p, n) or not n else FEW
                               for p in ("p50", "p90", "p99", "p999")]
            row += [fmt_ms(c.get("ideal_us"))]
            if cis:
                row += [fmt_interval(c.get(f"{p}_ci")) if reportable(p, n) or not n else FEW
                        for p in ("p50", "p90", "p99")]
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


def _versus_table(params, results, key="vs_" + REFERENCE_CC, reference=REFERENCE_CC):
    """Each control against its reference: ratios with intervals, verdicts."""
    grouped = has_groups(params)
    header = ([params.get("group_name") or "group"] if grouped else []) + [
        "cc", "p50 ratio [95 % CI]", "p50", "p90 ratio [95 % CI]", "p90",
        "p99 ratio [95 % CI]", "p99", "goodput ratio [95 % CI]", "goodput"]
    rows = []
    for e in results:
        v = e.get(key)
        if not v:
            continue
        row = ([e["group"]] if grouped else []) + [e["cc"]]
        for name, lower_is_better in (("p50", True), ("p90", True), ("p99", True),
                                      ("goodput", False)):
            ci = v.get(name)
            if ci and "count" in v and not reportable(name, v["count"]):
                row += [FEW, "-"]
                continue
            row += ([f"{ci[0]:.3f} [{ci[1]:.3f}–{ci[2]:.3f}]", verdict(ci, lower_is_better)]
                    if ci else ["-", "-"])
        rows.append(row)
    note = (f"Ratios are the control's figure over {reference}'s in the same group, over "
            "repetitions paired by index (same seed and start jitter); the interval resamples "
            "repetitions (a percentile bootstrap, 2000 draws). \"inconclusive\": the interval "
            f"holds 1. {FEW_NOTE}")
    return _table(header, rows) + ["", note]


def tail_cell(s):
    """A summary's p99 where it has the values for one, else its maximum,
    named as such."""
    n = s.get("count", 0)
    if not n or reportable("p99", n):
        return fmt_ms(s.get("p99"))
    return f"max {fmt_ms(s.get('max'))}"


TAIL_HEADER = "p99 ms (max if n < 100)"


def _other_kind_table(params, results, kind):
    grouped = has_groups(params)
    header = ([params.get("group_name") or "group"] if grouped else []) + ["cc", "samples", "p50 ms",
                                                                         TAIL_HEADER, "ideal ms"]
    rows = []
    for e in results:
        c = e.get("completions", {}).get(kind, {})
        row = ([e["group"]] if grouped else []) + [e["cc"], str(c.get("count", 0))]
        rows.append(row + [fmt_ms(c.get("p50")), tail_cell(c), fmt_ms(c.get("ideal_us"))])
    return _table(header, rows)


def _by_size_table(params, results, field):
    """p50 and p99 per size (or size bin) of results' field, with the
    ideal under each size where the entries have one."""
    grouped = has_groups(params)
    labels = list(dict.fromkeys(b for e in results for b in e.get(field, {})))
    header = ([params.get("group_name") or "group"] if grouped else []) + ["cc"]
    header += [f"{b} {p}" for b in labels for p in ("n", "p50 ms", TAIL_HEADER)]
    rows = []
    for e in results:
        if field not in e:
            continue
        row = ([e["group"]] if grouped else []) + [e["cc"]]
        for b in labels:
            s = e[field].get(b, {})
            row += [str(s.get("count", 0)), fmt_ms(s.get("p50")), tail_cell(s)]
        rows.append(row)
    ideal = {b: s["ideal_us"] for e in results for b, s in e.get(field, {}).items() if "ideal_us" in s}
    note = ["", "Ideal: " + ", ".join(f"{b} {fmt_ms(us)} ms" for b, us in ideal.items()) + "."] \
        if ideal else []
    return _table(header, rows) + note


def kernel_hz_of(params):
    """A run's kernel timer rate, or None.  Virtual-time runs made before
    the rate was recorded ran at UML's fixed 100 Hz."""
    return params.get("kernel_hz") or (100 if params.get("clock") == "virtual" else None)


def timer_rate(params):
    """The kernel's timer rate as a report says it."""
    hz = kernel_hz_of(params)
    note = (" (UML's fixed rate; not recorded by runs of that time)"
            if hz and not params.get("kernel_hz") else "")
    if not hz:
        return "kernel timer rate (HZ) not recorded"
    return f"HZ = {hz}{note}, so timers tick every {1000 / hz:g} ms"


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
    hz = timer_rate(params)
    if params.get("clock") == "virtual":
        text += (" in virtual time (User-Mode Linux with time-travel=inf-cpu: CPU work takes no "
                 f"time, the clock jumps to the next timer; {hz}; "
                 + ("hosts reached over SSH; " if params.get("testbed") else "Linux bridges; ")
                 + f"{v('added_rtt_us')} µs of base RTT added on the hosts' ports)")
    else:
        text += f" and unshaped capacity {v('capacity_mbit', '.0f')} Mbit/s; {hz}"
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
             f" started {v('started')}, finished {v('finished')} (wall clock")
    if params.get("virtual_started"):
        text += (f"; the guest's virtual clock ran from {v('virtual_started')} to "
                 f"{v('virtual_finished')}")
    text += ")."
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


def _hosts(tb, cpu, virtual=False):
    """The --testbed paragraph: which machine played which host, the
    marking point, offloads, and each kernel's CPU load during the runs."""
    hosts = "; ".join(f"{name} = {h['inventory_host']} ({h['data_ip']} on {h['data_dev']}, kernel "
                      f"{h.get('kernel', '?')}, clock {h.get('clock_offset_ms', '?')} ms off)"
                      for name, h in tb["hosts"].items())
    m = tb["marking"]
    if m["kind"] == "linux":
        mark = (f"Linux host {m['host']} forwarding, HTB + RED set by the runner on its "
                f"{m['egress_dev']}")
    else:
        counters = ("its counters read with counters_cmd" if m["counters"] else
                    "its counters unread: bytes from the aggregator's NIC, no drops or marks")
        mark = (f"external switch {m['host']} as stated in the inventory (K = {m['k_pkts']} of "
                f"{m['buffer_pkts']} packets at {m['rate_mbit']:g} Mbit/s; {counters})")
    text = (f"**Hosts.** Reached over SSH from the inventory `{tb['inventory']}`: {hosts}. "
            f"Marking point: {mark}. Segmentation offloads {tb['offloads']}.")
    if cpu:
        text += (" CPU busy per run, each kernel's, median (max) over runs: " +
                 ", ".join(f"{h} {c['median']:g} % ({c['max']:g} %)" for h, c in cpu.items()) + "."
                 + (" (In virtual time CPU work takes no time: near 0 by construction.)"
                    if virtual else ""))
    return text


CASE_NAMES = ("1 clear +", "2 slow -", "3 easing +", "4 rising -",
              "5 burst -", "6 severe /2", "7 recovering -", "8 congested -")


def _case_table(params, results):
    """Share of tdctcp's decisions in each of the eight cases (thesis
    Figure 3-2), from its counters (debugfs; bpf_tdctcp's map) around each run."""
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
    if params.get("testbed"):
        lines += [_hosts(params["testbed"], summary.get("host_cpu_pct") or {},
                         params.get("clock") == "virtual"), ""]
    if summary.get("skipped_rows"):
        skipped = ", ".join(f"{n} {c}" for n, c in summary["skipped_rows"].items())
        lines += [f"Skipped malformed CSV rows: {skipped}.", ""]
    lost = {f"{e['cc']}{in_group(params, e['group'])}": e["probe_lost"] for e in results
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
    if any("vs_module" in e for e in results):
        lines += ["## BPF builds against their modules", ""]
        lines += _versus_table(params, results, "vs_module", "its module") + [""]
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


def write_report(run_dir):
    """Write run_dir/summary.json, report.md and plots/*.png; returns the
    path of report.md."""
    run_dir = Path(run_dir)
    data = load(run_dir)
    summary = summary_of(data)
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    figures = plots.write_plots(data, summary["results"], run_dir / "plots")
    path = run_dir / "report.md"
    path.write_text(render_markdown(summary, figures))
    return path


def record_wall_clock(run_dir, started, finished):
    """Keep the host's wall-clock start and end of a run made in virtual
    time (whose guest knows only its virtual clock) in its params.json."""
    path = Path(run_dir) / "params.json"
    params = json.loads(path.read_text())
    params.update({k: v for k, v in (("started", started), ("finished", finished)) if v})
    path.write_text(json.dumps(params, indent=2) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m dctestbed report",
                                     description="Write summary.json, report.md and plots of a run.")
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--started", metavar="ISO",
                        help="the run's wall-clock start, recorded in params.json first")
    parser.add_argument("--finished", metavar="ISO",
                        help="the run's wall-clock end, recorded in params.json first")
    args = parser.parse_args(argv)
    if not (args.run_dir / "params.json").is_file():
        parser.error(f"{args.run_dir}: not a run directory (no params.json)")
    if args.started or args.finished:
        record_wall_clock(args.run_dir, args.started, args.finished)
    print(f"report: {write_report(args.run_dir)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
