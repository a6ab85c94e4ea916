"""hostload: the idle and the loaded run compared, control by control."""

import csv
import json

from dctestbed import hostload


def make_run(d, qct_us, goodput):
    d.mkdir(parents=True)
    (d / "params.json").write_text(json.dumps({
        "experiment": "incast", "ccs": ["dctcp", "cubic"], "groups": ["8"], "reps": 3,
        "emulation": "uml", "clock": "virtual", "kernel": "6.1.192"}))
    comp, runs = [], []
    for cc in ("dctcp", "cubic"):
        for rep in range(3):
            comp.append((cc, "8", rep, "query", 1_000_000, 50_000))          # cold
            comp += [(cc, "8", rep, "query", 1_000_000, qct_us[cc] + i) for i in range(4)]
            runs.append((cc, "8", rep, 0.1, 0, goodput[cc], 0, 0, 100, ""))
    raw = d / "raw"
    raw.mkdir()
    for name, header, rows in (
            ("completions", "cc,group,rep,kind,size_bytes,fct_us", comp),
            ("runs", "cc,group,rep,duration_s,tx_bytes,goodput_mbit,qdisc_drops,qdisc_marks,"
                     "queue_samples,probe_lost", runs)):
        with (raw / f"{name}.csv").open("w", newline="") as f:
            f.write(header + "\n")
            csv.writer(f).writerows(rows)


def test_equal_runs_pass_and_a_moved_median_fails(tmp_path, capsys):
    make_run(tmp_path / "idle", {"dctcp": 8_500, "cubic": 40_000}, {"dctcp": 900, "cubic": 300})
    make_run(tmp_path / "same", {"dctcp": 8_500, "cubic": 40_000}, {"dctcp": 900, "cubic": 300})
    make_run(tmp_path / "slow", {"dctcp": 8_800, "cubic": 40_000}, {"dctcp": 900, "cubic": 300})
    lines, worst = hostload.compare(tmp_path / "idle", tmp_path / "same", 0.02)
    assert worst == 0 and any(line.startswith("| dctcp |") for line in lines)
    assert hostload.main(["compare", str(tmp_path / "idle"), str(tmp_path / "same"), "--check"]) == 0
    _, worst = hostload.compare(tmp_path / "idle", tmp_path / "slow", 0.02)
    assert 0.035 < worst < 0.036                       # 8801.5 / 8501.5 - 1
    assert hostload.main(["compare", str(tmp_path / "idle"), str(tmp_path / "slow"), "--check"]) == 1
    assert hostload.main(["compare", str(tmp_path / "idle"), str(tmp_path / "slow")]) == 0
    assert "moved by 3.53 %" in capsys.readouterr().err
