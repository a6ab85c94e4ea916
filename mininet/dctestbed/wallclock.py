"""The host's wall clock on a virtual-time guest's output.

A User-Mode Linux guest in time-travel mode has only its virtual clock:
its time of day and its elapsed times say nothing about how long a user
waits.  scripts/vm-run.sh passes the guest's console through this filter
on the host, which stamps every line with the host's time of day and adds
the wall-clock elapsed time and an estimate of what is left to each
progress line ("[####......] 3/10 ...").

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


def stamp(line, now, start):
    """line (without its newline) as the filter prints it at wall time now,
    the filter having started at start (seconds since the epoch)."""
    out = f"[{time.strftime('%H:%M:%S', time.localtime(now))}] {line}"
    m = PROGRESS.search(line)
    if m and int(m.group(1)) > 0:
        done, total = int(m.group(1)), int(m.group(2))
        elapsed = now - start
        out += (f"  wall elapsed {fmt_duration(elapsed)}"
                f" eta {fmt_duration(elapsed / done * max(total - done, 0))}")
    return out


def main(stdin=sys.stdin, stdout=sys.stdout, clock=time.time):
    start = clock()
    for line in stdin:
        stdout.write(stamp(line.rstrip("\n"), clock(), start) + "\n")
        stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
