"""Congestion-control variants: one module with its parameters set.

A `--cc` entry is a congestion control name, optionally followed by
module parameters, `tdctcp:auto_thresholds=1:auto_high_pkts=20`.  Module
parameters are global, but the runs of an experiment are sequential, so
each run writes its variant's values (and the loaded values of every
parameter another variant changes) just before it starts.  The label is
what reports show; the module name is what sockets select.
"""

import os
import re
import subprocess
from pathlib import Path

SYS_MODULE = Path("/sys/module")
TOP = Path(__file__).resolve().parents[2]


def module_file(cc):
    """This tree's build of the module for cc: in the tree, or where the
    testbed kept the build for the kernel it runs (DCTESTBED_MODULE_DIR,
    the User-Mode Linux testbed's)."""
    return Path(os.environ.get("DCTESTBED_MODULE_DIR") or TOP) / f"tcp_{cc}.ko"
_ITEM = re.compile(r"^([a-z_][a-z0-9_]*)=([^:=\s]+)$")


class VariantError(ValueError):
    """A malformed variant label; the message names it."""


def module_of(label):
    """The congestion control a variant label selects on sockets."""
    return label.split(":", 1)[0]


def params_of(label):
    """The module parameters of a variant label, in order."""
    _, *items = label.split(":")
    params = {}
    for item in items:
        m = _ITEM.match(item)
        if not m:
            raise VariantError(f"--cc {label}: expected NAME:PARAM=VALUE[:PARAM=VALUE...], "
                               f"got {item!r}")
        if m.group(1) in params:
            raise VariantError(f"--cc {label}: parameter {m.group(1)} given twice")
        params[m.group(1)] = m.group(2)
    return params


def modules(labels):
    """The distinct modules of labels, in first-seen order."""
    return list(dict.fromkeys(module_of(c) for c in labels))


def known_params(cc):
    """Parameter names of a congestion control module: this tree's .ko,
    else the loaded module, else modinfo of the installed one."""
    ko = module_file(cc)
    sysdir = SYS_MODULE / f"tcp_{cc}" / "parameters"
    if not ko.exists() and sysdir.is_dir():
        return {p.name for p in sysdir.iterdir()}
    res = subprocess.run(["modinfo", "-F", "parm", str(ko) if ko.exists() else f"tcp_{cc}"],
                         capture_output=True, text=True)
    return {line.split(":", 1)[0] for line in res.stdout.splitlines() if ":" in line}


def module_params(cc):
    """Every parameter of a loaded module, {name: value}; {} if it has none."""
    d = SYS_MODULE / f"tcp_{cc}" / "parameters"
    if not d.is_dir():
        return {}
    return {p.name: p.read_text().strip() for p in sorted(d.iterdir())}


def module_srcversion(cc):
    """The srcversion (a hash of the module's source) of a loaded module,
    which names the build that ran even when it was not this tree's; None
    for built-in code or a module without one."""
    f = SYS_MODULE / f"tcp_{cc}" / "srcversion"
    return f.read_text().strip() if f.is_file() else None


def param_path(cc, name):
    return SYS_MODULE / f"tcp_{cc}" / "parameters" / name


def write_params(values):
    """Write {parameter file: value}; return {file: OSError} of the writes
    refused in the end.  tdctcp's threshold pairs (t_low_us <= t_high_us,
    auto_low_pkts <= auto_high_pkts) refuse a write that would cross the
    other of the pair, so a refused write is retried after the others: a
    set of values that is consistent is always written in a few passes."""
    left, errors = dict(values), {}
    while left:
        errors = {}
        for path, value in left.items():
            try:
                Path(path).write_text(f"{str(value).strip()}\n")
            except OSError as e:
                errors[path] = e
        if len(errors) == len(left):
            break
        left = {path: left[path] for path in errors}
    return errors


class Variants:
    """Write each run's parameters; put the loaded values back at the end."""

    def __init__(self, labels):
        self.labels = list(labels)
        self.baseline = {}          # (module, param) -> value when the experiment began
        for label in self.labels:
            for name in params_of(label):
                key = (module_of(label), name)
                self.baseline.setdefault(key, param_path(*key).read_text().strip())

    def _write(self, values):
        return write_params({param_path(*key): v for key, v in values.items()})

    def _values(self, label):
        """label's parameters, and every other touched one at its baseline:
        what a run of label writes (a variant's values never meet the
        previous variant's, so tdctcp's pairs cannot cross between them)."""
        own = params_of(label)
        return {key: own.get(key[1], base) if key[0] == module_of(label) else base
                for key, base in self.baseline.items()}

    def validate(self):
        """Write every variant's values once and restore: a value the
        module refuses raises VariantError before anything runs."""
        try:
            for label in self.labels:
                values = self._values(label)
                for path, err in self._write(values).items():
                    raise VariantError(f"--cc {label}: {module_of(label)} refuses "
                                       f"{path.name}={values[(module_of(label), path.name)]} "
                                       f"({err.strerror or err})")
        finally:
            self.restore()

    def apply(self, label):
        """Set label's parameters, and every other touched one to its baseline."""
        for path, err in self._write(self._values(label)).items():
            raise RuntimeError(f"{label}: cannot set {path.name}: {err}")

    def restore(self):
        self._write(self.baseline)
