"""The message-start windows from tcp_probe rows: the request's sample
gives the window left, the response's first ACK the window sent."""

import csv
import gzip

from dctestbed import windows


def row(flow, t, cwnd, inflight, cc="dctcp", rep="0"):
    return {"cc": cc, "group": "64", "rep": rep, "t_s": str(t), "flow": flow,
            "cwnd_pkts": str(cwnd), "inflight_bytes": str(inflight)}


def test_each_message_counts_left_and_sent_windows_per_query():
    rows = [
        # worker a: two messages; the second starts cut from 12 to 6
        row("a", 0.0, 10, 0), row("a", 0.0, 10, 1448), row("a", 0.001, 12, 2896),
        row("a", 0.002, 12, 0), row("a", 0.002, 6, 1448),
        # worker b, listed out of order; same instant keeps file order
        row("b", 0.002, 20, 0), row("b", 0.0, 10, 0), row("b", 0.002, 15, 1448),
        row("b", 0.0, 10, 1448),
    ]
    starts = windows.message_starts(rows)[("dctcp", "64", "0")]
    assert sorted(starts) == [1, 2]
    assert sorted(starts[1]) == [(10, 10), (10, 10)]
    assert sorted(starts[2]) == [(12, 6), (20, 15)]
    assert windows.table({("dctcp", "64", "0"): starts})[2] == \
        "| `dctcp` | 64 | 0 | 1: 20 → 20 (2); 2: 32 → 21 (2) |"


def test_busy_samples_start_no_message():
    rows = [row("a", 0.0, 10, 1448), row("a", 0.1, 11, 2896), row("a", 0.2, 12, 1448)]
    assert windows.message_starts(rows) == {}


def test_command_reads_the_compressed_probe_file(tmp_path, capsys):
    (tmp_path / "raw").mkdir()
    with gzip.open(tmp_path / "raw" / "probe.csv.gz", "wt", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(row("a", 0, 0, 0)))
        w.writeheader()
        w.writerows([row("a", 0.0, 10, 0), row("a", 0.0, 10, 1448)])
    assert windows.main([str(tmp_path)]) == 0
    assert "1: 10 → 10 (1)" in capsys.readouterr().out


def test_command_without_probe_data_says_so(tmp_path, capsys):
    assert windows.main([str(tmp_path)]) == 1
    assert "--probe-reps" in capsys.readouterr().err
