"""The host's wall clock on a virtual-time guest's output (dctestbed.wallclock)."""

import io
import time

from dctestbed import wallclock


def test_every_line_gets_the_hosts_time_of_day():
    now = time.mktime((2026, 12, 7, 16, 40, 2, 0, 0, -1))
    assert wallclock.stamp("incast: dctcp; N [4]", now, now) == "[16:40:02] incast: dctcp; N [4]"


def test_progress_lines_get_wall_elapsed_and_eta():
    start = time.mktime((2026, 12, 7, 16, 0, 0, 0, 0, -1))
    line = "[####................] 3/12 dctcp rep 1: goodput 940.2/1000 Mbit/s  virtual time 0:04"
    # the first run ended 30 s in (boot and set-up), two more in the next 60 s:
    # 30 s a run, 270 s for the 9 left
    out = wallclock.stamp(line, start + 90, start, first=(start + 30, 1))
    assert out == f"[16:01:30] {line}  wall elapsed 1:30 eta 4:30"
    # the series' first line: no rate yet, so no estimate
    assert wallclock.stamp(line, start + 90, start, first=(start + 90, 3)).endswith("elapsed 1:30")
    assert wallclock.stamp("[....] 0/12 x", start + 5, start).endswith("0/12 x")
    assert wallclock.fmt_duration(3725) == "1:02:05"


def test_the_filter_passes_every_line_through():
    ticks = iter([100.0, 101.0, 160.0, 170.0, 180.0, 181.0, 191.0])
    out = io.StringIO()
    guest = "a\n[#...] 1/4 b\n[##..] 2/4 b\nc\n[#...] 1/3 d\n[##.] 2/3 d"
    wallclock.main(io.StringIO(guest), out, clock=lambda: next(ticks))
    lines = out.getvalue().splitlines()
    assert [ln.split("] ", 1)[1] for ln in lines] == [
        "a",
        "[#...] 1/4 b  wall elapsed 1:00",                  # 60 s of boot: no estimate from it
        "[##..] 2/4 b  wall elapsed 1:10 eta 0:20",         # 10 s a run since the first
        "c",
        "[#...] 1/3 d  wall elapsed 1:21",                  # another series starts
        "[##.] 2/3 d  wall elapsed 1:31 eta 0:10",
    ]
