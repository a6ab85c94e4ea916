"""overhead: the monitors' cost from a --monitor-ab run, as paired ratios
with intervals, from a synthetic run directory."""

import csv
import json

import pytest
from dctestbed import options, overhead

WITH, WITHOUT = options.MONITOR_ARMS


def make_run(d, qct_ratio, jitter):
    """Two controls, six repetitions; with monitors every query takes
    qct_ratio times as long (times a per-repetition jitter) and goodput
    falls by the same factor."""
    labels = [c + arm for c in ("cubic", "dctcp") for arm in (WITH, WITHOUT)]
    d.mkdir(parents=True)
    (d / "params.json").write_text(json.dumps({
        "experiment": "incast", "ccs": labels, "groups": ["16"], "reps": 6, "rate_mbit": 20,
        "command": "python3 -m dctestbed incast --monitor-ab", "capacity_mbit": 200}))
    comp, runs = [], []
    for label in labels:
        for rep in range(6):
            f = (qct_ratio * jitter[rep]) if label.endswith(WITH) else 1.0
            comp += [(label, "16", rep, "query", 1_000_000, 900_000)]            # the cold one
            comp += [(label, "16", rep, "query", 1_000_000, 500_000 * f + q) for q in range(5)]
            runs.append((label, "16", rep, 2.5, 0, 16 / f, 0, 0, 1500 if label.endswith(WITH) else 0, ""))
    raw = d / "raw"
    raw.mkdir()
    for name, header, rows in (
            ("completions", "cc,group,rep,kind,size_bytes,fct_us", comp),
            ("runs", "cc,group,rep,duration_s,tx_bytes,goodput_mbit,qdisc_drops,qdisc_marks,"
                     "queue_samples,probe_lost", runs)):
        with (raw / f"{name}.csv").open("w", newline="") as f:
            f.write(header + "\n")
            csv.writer(f).writerows(rows)


def row(text, cc):
    return next(line for line in text.splitlines() if line.startswith(f"| {cc} |")).split(" | ")


def test_a_clear_cost_has_an_interval_above_one(tmp_path):
    make_run(tmp_path / "r", 1.10, [1.0, 1.01, 0.99, 1.02, 0.98, 1.0])
    text = overhead.render(tmp_path / "r")
    cubic = row(text, "cubic")
    assert cubic[1] == "6"
    ratio, interval = cubic[3].split(" [")
    assert float(ratio) == pytest.approx(1.10, abs=0.01)
    lo, hi = (float(x) for x in interval.rstrip("]").split("–"))
    assert 1.0 < lo < 1.10 < hi
    assert cubic[4].startswith("higher with monitors")
    assert cubic[7].startswith("lower with monitors")          # goodput fell
    assert cubic[8].strip(" |") == "600"                         # 1500 samples in 2.5 s
    assert row(text, "all")[1] == "12"


def test_no_cost_is_inconclusive(tmp_path):
    make_run(tmp_path / "r", 1.0, [1.05, 0.95, 1.04, 0.96, 1.03, 0.97])
    text = overhead.render(tmp_path / "r")
    assert "inconclusive" in row(text, "dctcp")[4]


def test_a_run_without_arms_is_refused(tmp_path):
    make_run(tmp_path / "r", 1.0, [1.0] * 6)
    p = tmp_path / "r" / "params.json"
    params = json.loads(p.read_text())
    params["ccs"] = ["cubic", "dctcp"]
    p.write_text(json.dumps(params))
    with pytest.raises(ValueError, match="--monitor-ab"):
        overhead.render(tmp_path / "r")
