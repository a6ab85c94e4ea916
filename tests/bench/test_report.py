"""report: summary.json, report.md and plots from a synthetic run directory."""

import csv
import itertools
import json
import os
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from dctestbed import analysis, report, stats

CCS = ["dctcp", "cubic"]
GROUPS = ["4", "8"]
REPS = 2
RATE, RTT, RESPONSE = 100.0, 200.0, 100_000
# probe flows (each size its own row) and web-search flows with their size bin
PROBE_SIZES = (2_000, 50_000, 1_000_000, 10_000_000)
WEB_SIZES = {1500: "≤100KB", 30_000: "≤100KB", 100_000: "≤100KB", 400_000: "100KB–10MB",
             9_500_000: "100KB–10MB", 25_000_000: ">10MB"}
FLOW_MBIT = {0: (60.0, 20.0), 1: (40.0, 40.0)}      # rep -> mean of the two long flows
COLD_US = 90_000.0                                   # the first query of each run
PLOTS = {"cdf_query.png", "cdf_cold.png", "cdf_short.png", "cdf_probe.png", "cdf_web.png",
         "p99_vs_group.png", "queue.png", "cwnd.png", "rtt_cdf.png", "fct_by_size.png",
         "throughput.png", "goodput_vs_group.png"}


def frames_us(size):
    """The ideal's serialisation, computed here from scratch: 1514-byte
    frames for each 1448 bytes of payload (the last one shorter)."""
    full, rest = divmod(size, 1448)
    return (full * 1514 + (rest + 66 if rest else 0)) * 8 / RATE


def _write(path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def make_run(d, probe=True, flows=True, groups=GROUPS, flow_kind=None, experiment_name="incast",
             **extra):
    """Write a run directory; returns what was written, per (cc, group).
    flow_kind labels probe and web flows alike, as fat-tree runs did
    before they were told apart."""
    rng = random.Random(11)
    params = dict(experiment=experiment_name, ccs=CCS, group_name="N", groups=groups, reps=REPS,
                  rate_mbit=RATE, k_pkts=20, buffer_pkts=100, base_rtt_us=RTT, capacity_mbit=5000.0,
                  kernel="6.1.0", emulation="vm", command="make bench EXP=incast",
                  started="2024-05-01T10:00:00", finished="2024-05-01T11:00:00",
                  response_bytes=RESPONSE, **extra)
    d.mkdir(parents=True, exist_ok=True)
    (d / "params.json").write_text(json.dumps(params))
    w = defaultdict(lambda: defaultdict(list))
    comp, queue, prob, counters, runs, flow_rows = [], [], [], [], [], []
    for ci, cc in enumerate(CCS):
        for gi, g in enumerate(groups):
            key = (cc, g)
            for rep in range(REPS):
                scale = 1000 * (1 + ci) * (1 + gi)
                comp.append((cc, g, rep, "query", RESPONSE, COLD_US + rep))
                w[key]["cold"].append(COLD_US + rep)
                for _ in range(150):
                    fct = 12_000 + rng.expovariate(1 / scale)
                    comp.append((cc, g, rep, "query", RESPONSE, fct))
                    w[key]["query"].append(fct)
                    w[key][("query", rep)].append(fct)
                for _ in range(50):
                    fct = rng.uniform(300, 2000)
                    comp.append((cc, g, rep, "short", 20_000, fct))
                    w[key]["short"].append(fct)
                for size in PROBE_SIZES:
                    fct = size * 8 / RATE + RTT + rng.uniform(0, 500)
                    comp.append((cc, g, rep, flow_kind or "probe", size, fct))
                    w[key][size].append(fct)
                for size, label in WEB_SIZES.items():
                    fct = size * 8 / RATE + RTT + rng.uniform(0, 500)
                    comp.append((cc, g, rep, flow_kind or "web", size, fct))
                    w[key][label].append(fct)
                t = 0.0
                for i in range(300):
                    q = rng.randint(0, 25 + 30 * ci)
                    # bursts of samples 1 ms apart between gaps of 5-20 ms
                    t += 0.001 if i % 10 else rng.uniform(0.005, 0.02)
                    queue.append((cc, g, rep, round(t, 6), q, q * 1500))
                    w[key]["queue"].append((rep, round(t, 6), q))
                for i in range(60):
                    for fl in ("10.0.0.2:5001>10.0.0.1:40000", "10.0.0.3:5001>10.0.0.1:40002"):
                        srtt = rng.uniform(200, 900 * (1 + ci))
                        prob.append((cc, g, rep, i / 100, fl, rng.randint(2, 40), srtt))
                        w[key]["srtt"].append(srtt)
                for host in ("h1", "h2"):
                    for name, value in (("TcpExtTCPTimeouts", rep + ci), ("TcpRetransSegs", 10 + rep),
                                        ("IpExtInCEPkts", 100 * (1 - ci)), ("TcpExtTCPDeliveredCE", 3)):
                        counters.append((cc, g, rep, host, name, value))
                        w[key][name].append(value)
                goodput = 90.0 + 4 * rep + gi
                runs.append((cc, g, rep, 10.0, goodput * 1e6 * 10 / 8, goodput, 5, 7))
                w[key]["goodput"].append(goodput)
                for fi, mbit in enumerate(FLOW_MBIT[rep]):
                    for t in range(4):
                        flow_rows.append((cc, g, rep, f"flow{fi}", t + 1, mbit + (-1) ** t))
    raw = d / "raw"
    _write(raw / "completions.csv", ["cc", "group", "rep", "kind", "size_bytes", "fct_us"], comp)
    _write(raw / "queue.csv", ["cc", "group", "rep", "t_s", "qlen_pkts", "backlog_bytes"], queue)
    _write(raw / "counters.csv", ["cc", "group", "rep", "host", "name", "value"], counters)
    _write(raw / "runs.csv", ["cc", "group", "rep", "duration_s", "tx_bytes", "goodput_mbit", "qdisc_drops",
                              "qdisc_marks"], runs)
    if probe:
        _write(raw / "probe.csv", ["cc", "group", "rep", "t_s", "flow", "cwnd_pkts", "srtt_us"], prob)
    if flows:
        _write(raw / "flows.csv", ["cc", "group", "rep", "flow", "t_s", "mbit"], flow_rows)
    return w


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    d = tmp_path_factory.mktemp("run")
    written = make_run(d)
    path = report.write_report(d)
    return d, written, path


def entries(d):
    summary = json.loads((d / "summary.json").read_text())
    return summary, {(e["cc"], e["group"]): e for e in summary["results"]}


def table(md, first_header):
    """The Markdown table whose first column is first_header, as a list of dicts."""
    lines = md.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(f"| {first_header} |"))
    cells = [[c.strip() for c in ln.strip().strip("|").split("|")]
             for ln in itertools.takewhile(lambda ln: ln.startswith("|"), lines[start:])]
    header = cells[0]
    return [dict(zip(header, row, strict=True)) for row in cells[2:]]


def test_summary_has_one_entry_per_cc_and_group_in_params_order(full):
    d, _, _ = full
    summary, _ = entries(d)
    assert [(e["group"], e["cc"]) for e in summary["results"]] == [(g, c) for g in GROUPS for c in CCS]
    assert all(e["reps_done"] == REPS for e in summary["results"])


def test_completion_percentiles_and_ideal(full):
    d, w, _ = full
    _, by_key = entries(d)
    for key, e in by_key.items():
        q = e["completions"]["query"]
        assert q["count"] == len(w[key]["query"])
        for name, p in (("p50", 50), ("p90", 90), ("p95", 95), ("p99", 99), ("p999", 99.9)):
            assert q[name] == pytest.approx(stats.percentile(w[key]["query"], p), abs=1e-3)
        assert q["max"] == pytest.approx(max(w[key]["query"]), abs=1e-3)
        assert q["ideal_us"] == pytest.approx(frames_us(RESPONSE) + RTT)
        cold = e["completions"]["cold"]
        assert cold["count"] == REPS and cold["max"] == pytest.approx(max(w[key]["cold"]))
        assert cold["ideal_us"] == q["ideal_us"]
        assert q["p99_by_rep"] == [pytest.approx(stats.percentile(w[key][("query", r)], 99), abs=1e-3)
                                   for r in range(REPS)]
        s = e["completions"]["short"]
        assert s["p99"] == pytest.approx(stats.percentile(w[key]["short"], 99), abs=1e-3)
        assert s["ideal_us"] == pytest.approx(frames_us(20_000) + RTT)
        assert "ideal_us" not in e["completions"]["probe"] and "ideal_us" not in e["completions"]["web"]


def test_probe_flows_by_their_size_web_flows_apart(full):
    d, w, _ = full
    _, by_key = entries(d)
    for key, e in by_key.items():
        assert list(e["fct_by_size"]) == ["2KB", "50KB", "1MB", "10MB"]
        for size, (label, s) in zip(PROBE_SIZES, e["fct_by_size"].items(), strict=True):
            assert label == analysis.size_label(size)
            assert s["count"] == REPS
            assert s["p50"] == pytest.approx(stats.percentile(w[key][size], 50), abs=1e-3)
            assert s["ideal_us"] == pytest.approx(frames_us(size) + RTT)
        assert list(e["web_by_size"]) == ["≤100KB", "100KB–10MB", ">10MB"]
        for label, s in e["web_by_size"].items():
            assert s["count"] == REPS * list(WEB_SIZES.values()).count(label)
            assert s["max"] == pytest.approx(max(w[key][label]), abs=1e-3)


def test_older_fattree_runs_split_flow_rows_by_size(tmp_path):
    make_run(tmp_path / "new", experiment_name="fattree")
    make_run(tmp_path / "old", experiment_name="fattree", flow_kind="flow")
    new, old = analysis.summarize(tmp_path / "new"), analysis.summarize(tmp_path / "old")
    assert old["results"] == new["results"]
    assert {k for e in old["results"] for k in e["completions"]} == {"query", "cold", "short",
                                                                     "probe", "web"}


def test_counters_goodput_queue_rtt(full):
    d, w, _ = full
    _, by_key = entries(d)
    for key, e in by_key.items():
        assert e["timeouts"] == sum(w[key]["TcpExtTCPTimeouts"])
        assert e["retrans"] == sum(w[key]["TcpRetransSegs"])
        assert e["ce_marks"] == sum(w[key]["IpExtInCEPkts"])
        goodputs = sorted(w[key]["goodput"])
        assert e["goodput_mbit"] == pytest.approx((goodputs[0] + goodputs[1]) / 2)
        assert e["goodput_fraction"] == pytest.approx(e["goodput_mbit"] / RATE, abs=1e-4)
        # each sample weighs the time until the next sample of its run
        samples = w[key]["queue"]
        held = [(q, t1 - t0 if r1 == r0 else 0.0)
                for (r0, t0, q), (r1, t1, _) in zip(samples, samples[1:] + [(None, 0, 0)],
                                                    strict=True)]
        total = sum(h for _, h in held)
        assert e["queue"]["mean_pkts"] == pytest.approx(sum(q * h for q, h in held) / total, abs=1e-3)
        cum, p99 = 0.0, None
        for q, h in sorted(held):
            cum += h
            if p99 is None and cum >= 0.99 * total - 1e-12:
                p99 = q
        assert e["queue"]["p99_pkts"] == p99
        assert e["queue"]["max_pkts"] == max(q for _, _, q in samples)
        assert e["queue"]["samples"] == len(samples)
        plain = sum(q for _, _, q in samples) / len(samples)
        assert abs(e["queue"]["mean_pkts"] - plain) > 1e-3       # the weighting matters here
        assert e["rtt_us"]["p50"] == pytest.approx(stats.percentile(w[key]["srtt"], 50), abs=1e-3)
    assert by_key[("cubic", "4")]["ce_marks"] == 0 and by_key[("dctcp", "4")]["ce_marks"] > 0


def test_long_flows_and_jain(full):
    d, _, _ = full
    _, by_key = entries(d)
    # rep 0: flows at 60 and 20 Mbit/s, Jain 80^2 / (2 (60^2 + 20^2)) = 0.8; rep 1: equal shares, 1.0
    for e in by_key.values():
        assert e["jain"] == pytest.approx((0.8 + 1.0) / 2, abs=1e-4)
        assert e["long_flow_mbit"] == pytest.approx(40.0)      # median of 60, 20, 40, 40


def test_report_md_has_a_row_per_cc_and_group_with_p99(full):
    d, w, path = full
    assert path == d / "report.md"
    md = path.read_text()
    assert md.startswith("# incast experiment, 2024-05-01")
    assert "INTERRUPTED" not in md
    assert "100 Mbit/s" in md and "K = 20" in md and "make bench EXP=incast" in md
    rows = table(md, "N")
    assert [(r["N"], r["cc"]) for r in rows] == [(g, c) for g in GROUPS for c in CCS]
    for r in rows:
        p99_ms = stats.percentile(w[(r["cc"], r["N"])]["query"], 99) / 1000
        assert 10 <= p99_ms < 100           # shown with three significant digits
        assert r["p99 ms"] == f"{p99_ms:.1f}"
        assert r["ideal ms"] == f"{(frames_us(RESPONSE) + RTT) / 1000:.2f}"
        assert r["samples"] == str(150 * REPS)
        assert r["timeouts"] == str(sum(w[(r["cc"], r["N"])]["TcpExtTCPTimeouts"]))
        assert "Jain" in r and "long-flow Mbit/s" in r
    assert "Probe flow completion time by size" in md and "10MB p99 ms" in md
    assert "Web-search flow completion time by size" in md and ">10MB p99 ms" in md
    assert "## The first query of each run" in md


def test_report_names_the_source_and_the_module_builds():
    params = dict(kernel="6.1.0", emulation="vm", reps=3, source="adf2a59c0ffe-dirty",
                  module_srcversion={"xdctcp": "0123456789ABCDEF0123456", "tdctcp": None})
    text = report._testbed(params, [])
    assert "Source: `adf2a59c0ffe-dirty` (module srcversion xdctcp 0123456789ABCDEF0123456)." in text
    del params["source"]                    # runs from before the field: no claim
    assert "Source" not in report._testbed(params, [])


def test_plots_exist_and_are_listed(full):
    d, _, _ = full
    made = {p.name for p in (d / "plots").iterdir()}
    assert made == PLOTS
    md = (d / "report.md").read_text()
    for name in PLOTS:
        data = (d / "plots" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000, name
        assert f"`plots/{name}`" in md


def test_missing_optional_files_still_make_a_report(tmp_path):
    make_run(tmp_path, probe=False, flows=False)
    report.write_report(tmp_path)
    _, by_key = entries(tmp_path)
    for e in by_key.values():
        assert "rtt_us" not in e and "jain" not in e and "long_flow_mbit" not in e
        assert "queue" in e and "timeouts" in e
    made = {p.name for p in (tmp_path / "plots").iterdir()}
    assert made == PLOTS - {"cwnd.png", "rtt_cdf.png", "throughput.png"}
    assert "Jain" not in (tmp_path / "report.md").read_text()


def test_a_run_without_a_sweep_and_with_only_short_flows(tmp_path):
    make_run(tmp_path, groups=[""])
    raw = tmp_path / "raw" / "completions.csv"
    lines = raw.read_text().splitlines()
    raw.write_text("\n".join(ln for ln in lines if ",short," in ln or ln.startswith("cc,")) + "\n")
    md = report.write_report(tmp_path).read_text()
    rows = table(md, "cc")
    assert [r["cc"] for r in rows] == CCS
    assert rows[0]["ideal ms"] == f"{(frames_us(20_000) + RTT) / 1000:.2f}"
    made = {p.name for p in (tmp_path / "plots").iterdir()}
    assert "p99_vs_group.png" not in made and "goodput_vs_group.png" not in made
    assert "cdf_short.png" in made and "cdf_query.png" not in made


def test_interrupted_runs_say_so_and_tolerate_missing_points(tmp_path):
    make_run(tmp_path, interrupted=True)
    raw = tmp_path / "raw"
    for name in ("completions", "queue", "probe", "counters", "runs", "flows"):
        path = raw / f"{name}.csv"
        lines = path.read_text().splitlines()
        path.write_text("\n".join(ln for ln in lines if not ln.startswith("cubic,8,")) + "\n")
    with (raw / "queue.csv").open("a") as f:
        f.write("dctcp,8,1,0.3")               # truncated last line
    md = report.write_report(tmp_path).read_text()
    assert "INTERRUPTED" in md.split("## ")[0]
    summary, by_key = entries(tmp_path)
    assert by_key[("cubic", "8")] == {"cc": "cubic", "group": "8", "reps_done": 0}
    assert summary["skipped_rows"] == {"queue.csv": 1}
    rows = {(r["N"], r["cc"]): r for r in table(md, "N")}
    assert rows[("8", "cubic")]["reps"] == "0" and rows[("8", "cubic")]["p99 ms"] == "-"


def test_a_directory_without_params_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="params.json"):
        analysis.summarize(tmp_path)
    (tmp_path / "params.json").write_text(json.dumps({"experiment": "incast"}))
    with pytest.raises(ValueError, match="ccs"):
        analysis.summarize(tmp_path)


def test_size_labels_and_web_bins():
    assert [analysis.size_label(x) for x in (2_000, 50_000, 1_000_000, 10_000_000, 1500)] == \
        ["2KB", "50KB", "1MB", "10MB", "1500B"]
    assert analysis.web_bin(100_000) == "≤100KB" and analysis.web_bin(100_001) == "100KB–10MB"
    assert analysis.web_bin(10_000_001) == ">10MB"


def test_a_forced_run_shows_its_warning():
    text = report._testbed({"warning": "--rate 50 Mbit/s exceeds 15 % of the measured capacity"}, [])
    assert text.startswith("**Warning:** --rate 50 Mbit/s exceeds")


def test_cli_prints_the_report_path(tmp_path):
    make_run(tmp_path, probe=False, flows=False, groups=["4"])
    env = {**os.environ, "PYTHONPATH": str(Path(report.__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-m", "dctestbed.report", str(tmp_path)], env=env,
                         capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith(str(tmp_path / "report.md"))
    assert (tmp_path / "summary.json").is_file()


def test_jain_counts_only_the_time_every_flow_ran():
    """Convergence: flow b joins late and leaves early; while both run they
    share equally, so the index is 1 although b's whole-run mean differs."""
    a = [(t, 10.0 if 5 <= t <= 10 else 20.0) for t in range(0, 16)]
    b = [(t, 10.0) for t in range(5, 11)]
    out = analysis._long_flows({(0, "a"): a, (0, "b"): b})
    assert out["jain"] == 1.0
    unfair = analysis._long_flows({(0, "a"): [(t, 15.0) for t in range(5, 11)], (0, "b"): b})
    assert unfair["jain"] < 1.0


def test_gzipped_raw_files_are_read_like_plain_ones(tmp_path):
    import gzip
    import shutil
    plain, packed = tmp_path / "plain", tmp_path / "packed"
    make_run(plain)
    shutil.copytree(plain, packed)
    for name in ("queue.csv", "probe.csv"):
        src = packed / "raw" / name
        with open(src, "rb") as f, gzip.open(str(src) + ".gz", "wb") as g:
            g.write(f.read())
        src.unlink()
    a, b = analysis.summarize(plain), analysis.summarize(packed)
    assert a["results"] == b["results"]


def test_tdctcp_case_counts_become_a_table_of_shares(tmp_path):
    d = tmp_path / "run"
    make_run(d)
    rows = [("dctcp", "4", rep, c, 10 * c if c in (1, 4) else 0) for rep in range(REPS) for c in range(1, 9)]
    _write(d / "raw" / "cases.csv", ["cc", "group", "rep", "case", "count"], rows)
    s = analysis.summarize(d)
    e = next(e for e in s["results"] if e["cc"] == "dctcp" and e["group"] == "4")
    assert e["tdctcp_cases"] == {"1": 20, "2": 0, "3": 0, "4": 80, "5": 0, "6": 0, "7": 0, "8": 0}
    assert all("tdctcp_cases" not in x for x in s["results"] if x is not e)
    md = report.render_markdown(s, [])
    line = next(x for x in md.splitlines() if x.startswith("| dctcp | 4 | 100 |"))
    assert "| 20.0 % | 0.0 % | 0.0 % | 80.0 % |" in line


def test_virtual_time_and_an_invalid_run_are_said():
    params = dict(clock="virtual", added_rtt_us=100, carried_mbit=950.0, carried_fraction=0.95,
                  rate_mbit=1000)
    text = report._testbed(params, [])
    assert "in virtual time (User-Mode Linux" in text
    # a run from before the rate was recorded ran at UML's fixed 100 Hz
    assert "HZ = 100 (UML's fixed rate; not recorded by runs of that time)" in text
    assert "HZ = 250, so timers tick every 4 ms" in report._testbed({**params, "kernel_hz": 250}, [])
    wall = report._testbed({**params, "clock": "wall", "kernel_hz": 1000}, [])
    assert "HZ = 1000, so timers tick every 1 ms" in wall
    assert "HZ) not recorded" in report._testbed({**params, "clock": "wall"}, [])
    assert "carried 950 Mbit/s (95.0 % of the shaped rate)" in text
    assert "unshaped capacity" not in text and "INVALID" not in text
    params["invalid"] = "the shaped path carried 500 of 1000 Mbit/s"
    assert report._testbed(params, []).startswith("**INVALID: the shaped path carried 500")


def test_controls_are_compared_with_dctcp_over_paired_repetitions(full):
    d, w, _ = full
    _, by_key = entries(d)
    for g in GROUPS:
        assert "vs_dctcp" not in by_key[("dctcp", g)]
        v = by_key[("cubic", g)]["vs_dctcp"]
        # cubic's synthetic queries are drawn with twice dctcp's spread
        want = stats.percentile(w[("cubic", g)]["query"], 99) / stats.percentile(w[("dctcp", g)]["query"], 99)
        assert v["p99"][0] == pytest.approx(want, rel=1e-3)
        assert v["p99"][1] <= v["p99"][0] <= v["p99"][2]
        assert analysis.verdict(v["p99"]) in ("higher (worse)", "inconclusive")
        want = stats.percentile(w[("cubic", g)]["query"], 90) / stats.percentile(w[("dctcp", g)]["query"], 90)
        assert v["p90"][0] == pytest.approx(want, rel=1e-3)
        # the values each percentile stands on: the smaller arm's
        assert v["count"] == min(len(w[(cc, g)]["query"]) for cc in ("cubic", "dctcp"))
    md = (d / "report.md").read_text()
    assert "## Against dctcp: query completion and goodput" in md
    assert analysis.verdict((0.9, 0.85, 0.95)) == "lower (better)"
    assert analysis.verdict((1.1, 1.05, 1.15), lower_is_better=False) == "higher (better)"
    assert analysis.verdict((1.0, 0.9, 1.1)) == "inconclusive"


def test_each_repetition_is_read_apart(full):
    """analysis.repetitions: the per-run figures paired comparisons use
    (reproduce.py and overhead.py), from the same single reading."""
    d, w, _ = full
    data = analysis.load(d)
    for (cc, g), written in w.items():
        reps = analysis.repetitions(data, cc, g)
        assert [r.rep for r in reps] == list(range(REPS))
        for r in reps:
            assert sorted(r.completions("query")) == sorted(written[("query", r.rep)])
            assert r.completions("cold") == [COLD_US + r.rep]
            assert r.completions("probe", "1MB") == [written[1_000_000][r.rep]]
            assert r.goodput_mbit() == written["goodput"][r.rep]
            # two hosts per repetition, in the order they were written
            timeouts = written["TcpExtTCPTimeouts"][2 * r.rep:2 * r.rep + 2]
            assert r.counter("TcpExtTCPTimeouts") == sum(timeouts)
            assert r.counter("NoSuchCounter") == 0.0
            samples = [(t, q) for rep, t, q in written["queue"] if rep == r.rep]
            held = [t1 - t0 for (t0, _), (t1, _) in itertools.pairwise(samples)] + [0.0]
            mean = sum(q * h for (_, q), h in zip(samples, held, strict=True)) / sum(held)
            assert r.queue_mean() == pytest.approx(mean)
            assert list(r.srtt_us()) == written["srtt"][120 * r.rep:120 * (r.rep + 1)]
            assert sorted(sum(v) / len(v) for v in r.flow_mbit().values()) == sorted(FLOW_MBIT[r.rep])
    assert analysis.repetitions(data, "reno", "4") == []


def test_one_reading_of_the_raw_files():
    """Only analysis.py parses raw/*.csv: the report, the plots, the
    reproduction and the overhead report consume what it read."""
    pkg = Path(analysis.__file__).parent
    for name in ("report.py", "plots.py", "reproduce.py", "overhead.py"):
        text = (pkg / name).read_text()
        assert "completions.csv" not in text and "DictReader" not in text, name


def test_a_p99_needs_a_hundred_values():
    """Below 100 values a p99 is all but the maximum: the tables give the
    p90 there and say the p99 has too few values; from 100 on, both."""
    params = dict(groups=["16", "48"], group_name="N", reps=10, ccs=["dctcp", "tdctcp"])
    comp = dict(p50=8460.0, p90=9000.0, p99=17_000.0, p999=18_000.0, ideal_us=8460.0,
                p50_ci=[8400.0, 8500.0], p90_ci=[8900.0, 9100.0], p99_ci=[16_000.0, 18_000.0])
    results = [dict(group="16", cc="tdctcp", reps_done=10, completions={"query": {**comp, "count": 40}},
                    vs_dctcp=dict(count=40, p50=[1.0, 0.99, 1.01], p90=[0.8, 0.7, 0.9],
                                  p99=[0.5, 0.4, 0.6], goodput=[1.0, 0.99, 1.01])),
               dict(group="48", cc="tdctcp", reps_done=10, completions={"query": {**comp, "count": 120}},
                    vs_dctcp=dict(count=120, p50=[1.0, 0.99, 1.01], p90=[0.8, 0.7, 0.9],
                                  p99=[0.5, 0.4, 0.6], goodput=[1.0, 0.99, 1.01]))]
    rows = {r["N"]: r for r in table("\n".join(report._main_table(params, results, "query")), "N")}
    assert rows["16"]["p90 ms"] == "9.00" and rows["16"]["p90 95 % CI"] == "8.90–9.10"
    assert rows["16"]["p99 ms"] == rows["16"]["p99 95 % CI"] == rows["16"]["p99.9 ms"] == "too few"
    assert rows["48"]["p99 ms"] == "17.0" and rows["48"]["p99 95 % CI"] == "16.0–18.0"
    assert rows["48"]["p99.9 ms"] == "too few"
    versus = report._versus_table(params, results)
    rows = {r["N"]: r for r in table("\n".join(versus[:-2]), "N")}
    assert rows["16"]["p90 ratio [95 % CI]"] == "0.800 [0.700–0.900]"
    assert rows["16"]["p90"] == "lower (better)"
    assert rows["16"]["p99 ratio [95 % CI]"] == "too few" and rows["16"]["p99"] == "-"
    assert rows["48"]["p99 ratio [95 % CI]"] == "0.500 [0.400–0.600]"
    assert "at least 100 values" in versus[-1]
    # ten first queries: their maximum, named as such
    cold = [dict(group="16", cc="tdctcp", completions={"cold": dict(count=10, p50=8460.0, p99=29_000.0,
                                                                      max=29_900.0)})]
    rows = table("\n".join(report._other_kind_table(params, cold, "cold")), "N")
    assert rows[0]["p99 ms (max if n < 100)"] == "max 29.9"
