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


def test_queries_are_compared_one_by_one(tmp_path, capsys):
    """The medians can agree while single queries move: each warm query
    is paired with the same one of the other run."""
    make_run(tmp_path / "idle", {"dctcp": 8_500, "cubic": 40_000}, {"dctcp": 900, "cubic": 300})
    make_run(tmp_path / "again", {"dctcp": 8_500, "cubic": 40_000}, {"dctcp": 900, "cubic": 300})
    make_run(tmp_path / "loaded", {"dctcp": 8_500, "cubic": 40_000}, {"dctcp": 900, "cubic": 300})
    # one warm cubic query of the second repetition 50 % slower under load
    path = tmp_path / "loaded" / "raw" / "completions.csv"
    text = path.read_text().replace("cubic,8,1,query,1000000,40002", "cubic,8,1,query,1000000,60003")
    path.write_text(text)
    changes = hostload.query_changes(tmp_path / "idle", tmp_path / "loaded")
    assert len(changes["dctcp"]) == len(changes["cubic"]) == 3 * 4      # every warm query, paired
    assert changes["dctcp"] == [0.0] * 12
    assert sorted(changes["cubic"])[-1] == 60_003 / 40_002 - 1
    assert changes["cubic"].count(0.0) == 11
    lines = hostload.per_query(tmp_path / "idle", tmp_path / "loaded", "loaded over idle")
    row = next(line for line in lines if line.startswith("| cubic |"))
    assert "| 12 | 11 | 50.00 % | +50.00 % |" in row
    # the medians did not move: --check passes, the per-query table says what did
    args = ["compare", str(tmp_path / "idle"), str(tmp_path / "loaded"), "--again",
            str(tmp_path / "again"), "--check"]
    assert hostload.main(args) == 0
    out = capsys.readouterr().out
    assert "idle against a second idle run" in out and "| dctcp | 12 | 12 | - | +0.00 % |" in out
