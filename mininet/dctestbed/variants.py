"""Congestion-control variants: one module with its parameters set.

A `--cc` entry is a congestion control name, optionally followed by
module parameters, `tdctcp:auto_thresholds=1:auto_high_pkts=20`.  Module
parameters are global, but the runs of an experiment are sequential, so
each run writes its variant's values (and the loaded values of every
parameter another variant changes) just before it starts.  The label is
what reports show; the module name is what sockets select.

`bpf_xdctcp` and `bpf_tdctcp` are the BPF builds (make bpf): registered
with scripts/bpf-cc, their parameters (the modules' names and ranges) set
through it instead of /sys/module.
"""

import hashlib
import importlib.util
import os
import re
import subprocess
from functools import cache
from pathlib import Path

SYS_MODULE = Path("/sys/module")
TOP = Path(__file__).resolve().parents[2]


def module_file(cc):
    """This tree's build of the module for cc: in the tree, or where the
    testbed kept the build for the kernel it runs (DCTESTBED_MODULE_DIR,
    the User-Mode Linux testbed's)."""
    return Path(os.environ.get("DCTESTBED_MODULE_DIR") or TOP) / f"tcp_{cc}.ko"


BPF_PREFIX = "bpf_"


def is_bpf(cc):
    return cc.startswith(BPF_PREFIX)


def bpf_object(cc):
    """This tree's BPF build of a bpf_ congestion control (make bpf)."""
    return TOP / "bpf" / "build" / f"tcp_{cc.removeprefix(BPF_PREFIX)}.bpf.o"


@cache
def bpfcc():
    """bpf/bpfcc.py (scripts/bpf-cc), imported from the tree."""
    spec = importlib.util.spec_from_file_location("bpfcc", TOP / "bpf" / "bpfcc.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def bpf_params(cc):
    """Every parameter of a registered BPF build, {name: value}."""
    _, values, *_ = bpfcc().read_params(cc.removeprefix(BPF_PREFIX))
    return {k: str(v) for k, v in values.items()}


def bpf_write(cc, values):
    """Set {name: value} on a BPF build, retrying refused ones after the
    others as write_params does; return {name: message} of those refused."""
    mod, left, errors = bpfcc(), dict(values), {}
    while left:
        errors = {}
        for name, value in left.items():
            try:
                mod.set_params(cc.removeprefix(BPF_PREFIX), [f"{name}={value}"])
            except mod.Refused as e:
                errors[name] = str(e)
        if len(errors) == len(left):
            break
        left = {name: left[name] for name in errors}
    return errors


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
    else the loaded module, else modinfo of the installed one (a BPF
    build's: its module's, from the source)."""
    if is_bpf(cc):
        return set(bpfcc().module_params(cc.removeprefix(BPF_PREFIX)))
    ko = module_file(cc)
    sysdir = SYS_MODULE / f"tcp_{cc}" / "parameters"
    if not ko.exists() and sysdir.is_dir():
        return {p.name for p in sysdir.iterdir()}
    res = subprocess.run(["modinfo", "-F", "parm", str(ko) if ko.exists() else f"tcp_{cc}"],
                         capture_output=True, text=True)
    return {line.split(":", 1)[0] for line in res.stdout.splitlines() if ":" in line}


def module_params(cc):
    """Every parameter of a loaded module, {name: value}; {} if it has none."""
    if is_bpf(cc):
        return bpf_params(cc)
    d = SYS_MODULE / f"tcp_{cc}" / "parameters"
    if not d.is_dir():
        return {}
    return {p.name: p.read_text().strip() for p in sorted(d.iterdir())}


def module_srcversion(cc):
    """The srcversion (a hash of the module's source) of a loaded module,
    which names the build that ran even when it was not this tree's; None
    for built-in code or a module without one.  A BPF build: a hash of
    this tree's object file."""
    if is_bpf(cc):
        obj = bpf_object(cc)
        return hashlib.sha256(obj.read_bytes()).hexdigest()[:24] if obj.exists() else None
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
                if key not in self.baseline:
                    self.baseline[key] = (bpf_params(key[0])[name] if is_bpf(key[0]) else
                                          param_path(*key).read_text().strip())

    def _write(self, values):
        """{(module, name): value} written; {(module, name): message} refused."""
        paths = {param_path(*key): key for key in values if not is_bpf(key[0])}
        refused = {paths[path]: err.strerror or str(err) for path, err in
                   write_params({path: values[key] for path, key in paths.items()}).items()}
        for cc in {key[0] for key in values if is_bpf(key[0])}:
            own = {key[1]: v for key, v in values.items() if key[0] == cc}
            refused.update(((cc, name), msg) for name, msg in bpf_write(cc, own).items())
        return refused

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
                for key, err in self._write(values).items():
                    raise VariantError(f"--cc {label}: {key[0]} refuses "
                                       f"{key[1]}={values[key]} ({err})")
        finally:
            self.restore()

    def apply(self, label):
        """Set label's parameters, and every other touched one to its baseline."""
        for key, err in self._write(self._values(label)).items():
            raise RuntimeError(f"{label}: cannot set {key[1]}: {err}")

    def restore(self):
        self._write(self.baseline)
