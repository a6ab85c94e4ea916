"""The host's wall clock on a virtual-time guest's output.

A User-Mode Linux guest in time-travel mode has only its virtual clock:
its time of day and its elapsed times say nothing about how long a user
waits.  scripts/vm-run.sh passes the guest's console through this filter
on the host, which stamps every line with the host's time of day and adds
the wall-clock elapsed time to each progress line ("[####......] 3/10
...") and, from the second of a series on, an estimate of what is left at
the rate since the first.

    python3 -m dctestbed.wallclock < guest-output
"""

import re
import sys
import time

PROGRESS = re.compile(r"\] (\d+)/(\d+) ")


def fmt_duration(seconds):
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


def stamp(line, now, start, first=None):
    """line (without its newline) as the filter prints it at wall time now,
    the filter having started at start (seconds since the epoch); first is
    (time, done) of the series' first progress line, the rate the estimate
    of what is left comes from (the boot and the network's set-up before it
    are no part of a run's cost), or None."""
    out = f"[{time.strftime('%H:%M:%S', time.localtime(now))}] {line}"
    m = PROGRESS.search(line)
    if m and int(m.group(1)) > 0:
        done, total = int(m.group(1)), int(m.group(2))
        out += f"  wall elapsed {fmt_duration(now - start)}"
        if first is not None and done > first[1]:
            per_run = (now - first[0]) / (done - first[1])
            out += f" eta {fmt_duration(per_run * max(total - done, 0))}"
    return out


def main(stdin=sys.stdin, stdout=sys.stdout, clock=time.time):
    start = clock()
    first = None            # (time, done, total) of the series' first progress line
    last_done = 0
    for line in stdin:
        now = clock()
        m = PROGRESS.search(line)
        if m:
            done, total = int(m.group(1)), int(m.group(2))
            # a new series: the first progress line, another total, or a count that fell
            if first is None or total != first[2] or done < last_done:
                first = (now, done, total)
            last_done = done
        series = first[:2] if first is not None else None
        stdout.write(stamp(line.rstrip("\n"), now, start, series) + "\n")
        stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
