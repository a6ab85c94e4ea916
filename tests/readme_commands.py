"""The shell commands of the project's documents and which test exercises each.

Every line of a ```sh block in README.md, docs/*.md and results/README.md
is a command a reader may type.  RULES names, for each, the kind of check
that covers it and how far that check goes:

    host   tests/bench/test_readme.py runs it on the host as written:
           `make` and `make KDIR=…` build in a copy of the tracked tree
           (both .ko files must appear, for that kernel), `modinfo` reads
           the built module, `scripts/experiment.sh … --help` prints the
           options, the report command rewrites a copy of a run's report
    vm     tests/kernel/test_13_readme.py runs it as written (sudo dropped,
           SERVER and eth0 provided) in the VM, where it may change the
           kernel's state, and checks its effect
    step   a make test step runs it as written (install, dkms,
           dkms-remove, the kernel step's scripts/vm-run.sh)
    dry    only dry-run or parsed, never run: a make target that takes
           hours, needs a VM or root, or installs software is checked with
           make -n (the target exists and would do something); an
           experiment's command line is parsed and checked as the CLI does
           before it starts anything, and the experiment is not run

A command no rule matches fails the doc test: the documents must not
promise what nothing checks.  docs/tests.md lists the dry commands and why.
"""

import re
import shutil
import subprocess
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
README = TOP / "README.md"

# make targets only dry-run, and why they are not run
DRY_TARGETS = {
    "bench": "about 20 minutes of experiments in the VM",
    "reproduce": "about an hour of experiments in virtual time",
    "stress": "about an hour in the VM",
    "monitor-overhead": "about 15 minutes of experiments in the VM",
    "bpf-cost": "about 3 minutes of transfers in the VM",
    "host-load": "about 12 minutes: four runs, two of them on a loaded host; make test runs the "
                 "virtual-time half (step virtual)",
    "testbed-check": "about 14 minutes in the VM",
    "compat": "root, debootstrap chroots of about 3 GiB, another kernel booted",
    "test": "the whole suite, which runs this test",
    "kernel-test": "the in-kernel suite in a VM; make test runs its steps",
    "unit": "make test's unit step",
    "check": "make test's checkpatch and sparse steps",
    "setup": "installs packages; make test and make bench run it first",
}

# (pattern on the command, kind, how)
RULES = [
    (r"^sudo make (install|uninstall|dkms-install|dkms-remove)$", "step",
     "make test: steps install, dkms and dkms-remove"),
    (r"^dkms status", "step", "make test: step dkms"),
    (r"^make( KDIR=\S+)?$", "host",
     "built in a copy of the tracked tree: tcp_xdctcp.ko and tcp_tdctcp.ko for that kernel"),
    ("^make (" + "|".join(re.escape(t) for t in DRY_TARGETS) + ")$", "dry",
     "make -n only (the target is not run)"),
    (r"^scripts/experiment\.sh \S+ --help$", "host", "run: prints every option"),
    (r"^(TESTBED=\w+ )?scripts/experiment\.sh ", "dry",
     "options parsed and checked as the CLI does; the experiment is not run"),
    (r"^PYTHONPATH=mininet python3 -m dctestbed report ", "host", "run on a copy of the run"),
    (r"^modinfo ", "host", "run"),
    (r"^make bpf$", "step", "make test: the build step runs make bpf"),
    (r"^sudo scripts/bpf-cc ", "vm",
     "run, in order, and its effect checked; tests/kernel/test_14_bpf.py tests every subcommand"),
    (r"^sudo cp contrib/", "vm", "run (the guest's /etc is a throw-away overlay)"),
    (r"^scripts/vm-run\.sh --timeout \d+ -- tests/kernel/run\.sh", "step",
     "make test: the kernel step (scripts/vm-run.sh --timeout … -- tests/kernel/run.sh)"),
    (r"^(TESTBED=native )?scripts/vm-run\.sh ", "vm", "run in the guest (native there)"),
    (r"^(sudo )?(insmod|modprobe|rmmod|sysctl|ip route|iperf3|ss|cat|echo|mount|mountpoint|trace-cmd) ",
     "vm", "run"),
]

KINDS = ("host", "vm", "step", "dry")


def documents():
    """The documents whose sh blocks count: README.md, docs/*.md and
    results/README.md (when there), as paths."""
    docs = [README, *sorted((TOP / "docs").glob("*.md"))]
    results = TOP / "results" / "README.md"
    if results.exists():
        docs.append(results)
    return docs


def name(path):
    """A document's name in test ids and messages: its path from the top."""
    return Path(path).resolve().relative_to(TOP).as_posix()


def sh_commands(text):
    """[(line number, command)] of the sh blocks in text: comments, blank
    lines and comment-only continuation lines dropped."""
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


def commands(paths=None):
    """[(document, line number, command)] of every document's sh blocks,
    in document order (README.md first)."""
    return [(name(p), n, cmd)
            for p in (documents() if paths is None else paths)
            for n, cmd in sh_commands(Path(p).read_text())]


def ident(doc, line):
    """The id of a command: its document and line, e.g. README.md:34."""
    return f"{doc}:{line}"


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
    """(kind, how) of the first rule matching cmd, or None."""
    for pattern, kind, how in RULES:
        if re.search(pattern, cmd):
            return kind, how
    return None


def where(kind):
    """[(document, line number, command)] that RULES sends to kind."""
    assert kind in KINDS, kind
    return [(d, n, c) for d, n, c in commands() if (rule(c) or (None,))[0] == kind]


def headers_release():
    """The release of the kernel headers this machine builds against
    (scripts/kdir.sh), as the part of /usr/src/linux-headers-RELEASE."""
    kdir = subprocess.run([str(TOP / "scripts" / "kdir.sh")], capture_output=True,
                          text=True, check=True).stdout.strip()
    return Path(kdir).resolve().name.removeprefix("linux-headers-")


def substitute(cmd):
    """cmd with the documents' placeholders filled in for this machine:
    RELEASE is a kernel release whose headers are installed.  (SERVER and
    eth0 are the kernel doc test's.)"""
    if "RELEASE" in cmd:
        cmd = re.sub(r"\bRELEASE\b", headers_release(), cmd)
    return cmd


def tracked_tree(dest):
    """A copy of the tracked sources (not results/) in dest: a build there
    does not touch this checkout's modules."""
    files = subprocess.run(["git", "-C", str(TOP), "ls-files", "--", ".", ":(exclude)results"],
                           capture_output=True, text=True, check=True).stdout.splitlines()
    for f in files:
        src = TOP / f
        if not src.is_file():       # deleted in the work tree
            continue
        (dest / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / f)
    return dest
