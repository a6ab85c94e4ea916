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
    out = wallclock.stamp(line, start + 90, start)
    # 90 s for 3 of 12: 270 s for the 9 left
    assert out == f"[16:01:30] {line}  wall elapsed 1:30 eta 4:30"
    assert wallclock.stamp("[....] 0/12 x", start + 5, start).endswith("0/12 x")
    assert wallclock.fmt_duration(3725) == "1:02:05"


def test_the_filter_passes_every_line_through():
    ticks = iter([100.0, 101.0, 102.0, 103.0])
    out = io.StringIO()
    wallclock.main(io.StringIO("a\n[##..] 1/2 b\nc"), out, clock=lambda: next(ticks))
    lines = out.getvalue().splitlines()
    assert [ln.split("] ", 1)[1] for ln in lines] == ["a", "[##..] 1/2 b  wall elapsed 0:02 eta 0:02", "c"]
