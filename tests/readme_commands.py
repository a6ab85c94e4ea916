"""The shell commands of README.md and which test exercises each.

Every line of a ```sh block in the README is a command a newcomer may
type.  RULES names, for each, where it is exercised:

    host   tests/bench/test_readme.py runs it, or dry-runs it when it would
           start hours of work or change the machine (make -n; an
           experiment's options parsed and checked as the CLI does before
           it starts anything)
    vm     tests/kernel/test_13_readme.py runs it as written (sudo dropped,
           SERVER and eth0 provided) in the VM, where it may change the
           kernel's state
    step   a make test step runs it as written (install, dkms,
           dkms-remove, the kernel step's scripts/vm-run.sh)

A command no rule matches fails the doc test: the README must not promise
what nothing checks.
"""

import re
import subprocess
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"

# (pattern on the command, where, how)
RULES = [
    (r"^sudo make (install|uninstall|dkms-install|dkms-remove)$", "step",
     "make test: steps install, dkms and dkms-remove"),
    (r"^dkms status", "step", "make test: step dkms"),
    (r"^make( |$)", "host", "make -n"),
    (r"^scripts/experiment\.sh ", "host", "options parsed and checked"),
    (r"^PYTHONPATH=mininet python3 -m dctestbed report ", "host", "run on a copy of the run"),
    (r"^modinfo ", "host", "run"),
    (r"^make compat$", "host", "make -n"),
    (r"^sudo cp contrib/", "vm", "run (the guest's /etc is a throw-away overlay)"),
    (r"^scripts/vm-run\.sh --timeout \d+ -- tests/kernel/run\.sh", "step",
     "make test: the kernel step (scripts/vm-run.sh --timeout … -- tests/kernel/run.sh)"),
    (r"^(TESTBED=native )?scripts/vm-run\.sh ", "vm", "run in the guest (native there)"),
    (r"^(sudo )?(insmod|modprobe|rmmod|sysctl|ip route|iperf3|ss|cat|echo|mount|mountpoint|trace-cmd) ",
     "vm", "run"),
]


def commands(text=None):
    """[(line number, command)] of the README's sh blocks: comments,
    blank lines and comment-only continuation lines dropped."""
    text = README.read_text() if text is None else text
    found, inside = [], False
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            inside = line.strip() == "```sh"
            continue
        if not inside:
            continue
        cmd = strip_comment(line).strip()
        if cmd:
            found.append((n, cmd))
    return found


def strip_comment(line):
    """The line up to an unquoted '#' that starts a word."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def rule(cmd):
    """(where, how) of the first rule matching cmd, or None."""
    for pattern, where, how in RULES:
        if re.search(pattern, cmd):
            return where, how
    return None


def where(kind):
    """[(line number, command)] that RULES sends to kind."""
    return [(n, c) for n, c in commands() if (rule(c) or (None,))[0] == kind]


def headers_release():
    """The release of the kernel headers this machine builds against
    (scripts/kdir.sh), as the part of /usr/src/linux-headers-RELEASE."""
    kdir = subprocess.run([str(README.parent / "scripts" / "kdir.sh")], capture_output=True,
                          text=True, check=True).stdout.strip()
    return Path(kdir).resolve().name.removeprefix("linux-headers-")


def substitute(cmd):
    """cmd with the README's placeholders filled in for this machine:
    RELEASE is a kernel release whose headers are installed.  (SERVER and
    eth0 are the kernel doc test's.)"""
    if "RELEASE" in cmd:
        cmd = re.sub(r"\bRELEASE\b", headers_release(), cmd)
    return cmd
