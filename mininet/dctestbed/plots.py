"""The plots of a run directory, from analysis.load() and the summary."""

import itertools
import math

from dctestbed import stats
from dctestbed.analysis import KINDS, group_label, in_group, main_kind

CC_COLOURS = {"cubic": "tab:blue", "reno": "tab:gray", "dctcp": "tab:green",
              "xdctcp": "tab:red", "tdctcp": "tab:purple"}
SPARE_COLOURS = ("tab:orange", "tab:brown", "tab:pink", "tab:olive", "tab:cyan")
MAX_FLOWS_PLOTTED = 8
MAX_POINTS = 20000                          # per plotted line


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
            ax.set_title(group_label(params, g), fontsize=10)
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
    # p99 only where every point has the values for it (stats.MIN_VALUES)
    tail = stats.tail_name(min(e["completions"][kind].get("count", 0) for e in ctx["results"]
                               if kind in e.get("completions", {})))
    for cc in params["ccs"]:
        pts = [(xs[e["group"]], e["completions"][kind]) for e in ctx["results"]
               if e["cc"] == cc and kind in e.get("completions", {})]
        if pts:
            x = [p[0] for p in pts]
            ax.plot(x, [p[1][tail] / 1000 for p in pts], "o-", color=ctx["colours"][cc],
                    label=f"{cc} {tail}")
            ax.plot(x, [p[1]["p50"] / 1000 for p in pts], "s--", color=ctx["colours"][cc], label=f"{cc} p50",
                    alpha=0.7)
    ideal = sorted({(xs[e["group"]], e["completions"][kind]["ideal_us"]) for e in ctx["results"]
                    if "ideal_us" in e.get("completions", {}).get(kind, {})})
    if ideal:
        ax.plot([i[0] for i in ideal], [i[1] / 1000 for i in ideal], ":", color="black", label="ideal")
    _log(ax, "y")
    ax.set_ylabel(f"{kind} completion time (ms, log scale)")
    ax.set_title(f"{params['experiment']}: {kind} {tail} (solid) and p50 (dashed)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    _save(plt, fig, ctx["plots_dir"] / "p99_vs_group.png")
    return [("p99_vs_group.png", f"{tail} (solid) and p50 (dashed) {kind} completion time against "
             f"{params.get('group_name') or 'group'} per congestion control"
             + ("." if tail == "p99" else " (p90: a point has fewer than 100 values for a p99)."))]


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
    fig.suptitle(f"{params['experiment']}: bottleneck queue" + in_group(params, group))
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
    fig.suptitle(f"{ctx['params']['experiment']}: {what}" + in_group(ctx["params"], group))
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
    ax.set_title(f"{params['experiment']}: srtt from tcp_probe" + in_group(params, group))
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
                 + in_group(params, group))
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

